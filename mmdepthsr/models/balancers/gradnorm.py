"""GradNorm of Chen et al. (2018).

Paper: Z. Chen, V. Badrinarayanan, C.-Y. Lee, A. Rabinovich, "GradNorm:
Gradient Normalization for Adaptive Loss Balancing in Deep Multitask
Networks", ICML 2018, section 3 and Algorithm 1.

With ``W`` the parameters of the last shared layer, ``w_t`` the learnable
task weights and ``L_t(0)`` the losses of the first step::

    G_t = || grad_W (w_t L_t) ||            r_t = L~_t / mean(L~)
    L~_t = L_t / L_t(0)                     target_t = mean(G) r_t^alpha
    L_grad = sum_t | G_t - target_t |       (target held constant)

The network minimises ``sum_t w_t L_t`` with the weights held constant;
the weights minimise ``L_grad``.
"""

from typing import Dict, Optional, Sequence, Tuple

import torch
from mmengine.dist import all_reduce
from torch import Tensor, nn

from mmdepthsr.registry import BALANCERS

from .base import BaseBalancer

__all__ = ['GradNorm']


@BALANCERS.register_module()
class GradNorm(BaseBalancer):
    """Learn task weights that equalise the tasks' training rates.

    Design choices:

    * The weights are ``w = T * softmax(weight_logits)``: positive and
      summing to ``T`` at every step, the paper's renormalisation made part
      of the parameterisation (all 1 at the start). The logits are model
      parameters, updated by the model's optimizer; give them their own
      learning rate with ``paramwise_cfg=dict(custom_keys={'balancer':
      dict(lr_mult=..., decay_mult=0.)})``.
    * ``grad_W (w_t L_t) = w_t grad_W L_t``, so ``G_t = w_t ||grad_W L_t||``
      needs one ``torch.autograd.grad`` per task (``retain_graph=True``) and
      no second-order graph; ``L_grad`` depends on the weights only.
    * The returned total is ``sum_t w_t.detach() L_t + L_grad -
      L_grad.detach()``: its value is the weighted task loss (what is
      logged as ``loss``), one backward pass updates the network with the
      weighted losses and the weights with ``L_grad``, and gradient
      accumulation and loss scaling of the optimizer wrapper apply to
      both. ``L_grad`` is logged as ``balancer_gradnorm_loss``, the norms
      as ``balancer_grad_norm_<task>``.
    * ``L_t(0)`` is taken at the first training forward pass and kept in a
      buffer, so a resumed run continues with the original reference. Under
      distributed training ``L_t(0)`` and ``||grad_W L_t||`` are averaged
      over the processes.
    * In evaluation mode or without gradients the weights are applied and
      nothing else is done. The gradient norms are taken from the unscaled
      losses; with float16 autocast tiny gradients may underflow (bfloat16
      does not have this problem).

    Args:
        tasks (Sequence[str]): Task names.
        alpha (float): Restoring-force strength; 0 equalises the gradient
            norms, larger values favour tasks that train slower. Defaults to
            1.5 (the paper's NYUv2 value).
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.

    Raises:
        ValueError: If ``alpha`` is negative.
    """

    needs = 'params'

    def __init__(
        self, tasks: Sequence[str], alpha: float = 1.5, init_cfg=None
    ) -> None:
        super().__init__(tasks, init_cfg=init_cfg)
        if alpha < 0:
            raise ValueError(f'GradNorm: alpha must be >= 0, got {alpha}')
        self.alpha = float(alpha)
        #: ``(T,)`` logits of the weights, ``w = T * softmax(logits)``.
        self.weight_logits = nn.Parameter(torch.zeros(self.num_tasks))
        self.register_buffer('initial_losses', torch.zeros(self.num_tasks))
        self.register_buffer('initialized', torch.zeros((), dtype=bool))

    @property
    def weights(self) -> Tensor:
        """Tensor: Current task weights ``(T,)``, summing to ``T``."""
        return self.num_tasks * torch.softmax(self.weight_logits, 0)

    def balance(
        self, losses: Tensor, shared: Optional[Sequence[Tensor]]
    ) -> Tuple[Tensor, Tensor, Dict[str, Tensor]]:
        """Weighted loss plus the zero-valued GradNorm term.

        Args:
            losses (Tensor): Task losses ``(T,)``.
            shared (list[Tensor]): Parameters ``W`` of the last shared
                layer (any shapes).

        Returns:
            tuple[Tensor, Tensor, dict]: The total (value ``sum_t w_t
            L_t``), the weights ``(T,)`` and, when training, the GradNorm
            loss and the gradient norms ``G_t`` per task.
        """
        weights = self.weights.to(losses.dtype)
        task_loss = (weights.detach() * losses).sum()
        if not (
            self.training and torch.is_grad_enabled() and losses.requires_grad
        ):
            return task_loss, weights, {}

        detached = losses.detach()
        if not self.initialized:
            initial = detached.to(self.initial_losses.dtype).clone()
            all_reduce(initial, op='mean')
            self.initial_losses.copy_(initial)
            self.initialized.fill_(True)

        grad_norms = self._grad_norms(losses, shared)
        norms = weights * grad_norms
        ratios = detached / self.initial_losses.to(losses.dtype).clamp_min(
            1e-12
        )
        relative = ratios / ratios.mean().clamp_min(1e-12)
        target = (norms.mean() * relative**self.alpha).detach()
        gradnorm_loss = (norms - target).abs().sum()
        total = task_loss + (gradnorm_loss - gradnorm_loss.detach())
        extra = {'gradnorm_loss': gradnorm_loss}
        for i, task in enumerate(self.tasks):
            extra[f'grad_norm_{task}'] = norms[i]
        return total, weights, extra

    def _grad_norms(self, losses: Tensor, shared: Sequence[Tensor]) -> Tensor:
        """``||grad_W L_t||`` per task, averaged over the processes.

        Args:
            losses (Tensor): Task losses ``(T,)``.
            shared (Sequence[Tensor]): Parameters ``W``.

        Returns:
            Tensor: ``(T,)`` detached gradient norms.
        """
        params = [p for p in shared if p.requires_grad]
        norms = torch.zeros_like(losses.detach())
        for i in range(self.num_tasks):
            if not losses[i].requires_grad or not params:
                continue
            grads = torch.autograd.grad(
                losses[i], params, retain_graph=True, allow_unused=True
            )
            squares = [g.pow(2).sum() for g in grads if g is not None]
            if squares:
                norms[i] = torch.stack(squares).sum().sqrt()
        all_reduce(norms, op='mean')
        return norms
