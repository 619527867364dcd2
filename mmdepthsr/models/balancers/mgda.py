"""MGDA-UB of Sener & Koltun (2018).

Paper: O. Sener, V. Koltun, "Multi-Task Learning as Multi-Objective
Optimization", NeurIPS 2018, section 3.3 (MGDA-UB: the min-norm
problem on the gradients of the shared representation ``Z`` instead of the
shared parameters, an upper bound that costs one backward pass per task
through the heads only).

Per step: ``g_t = grad_Z L_t``; optionally ``g_t / n_t``; ``alpha`` = the
min-norm point of the convex hull of the (normalised) gradients;
``L = sum_t w_t L_t`` with the weights (``alpha``, or ``alpha / n``) held
constant.
"""

from typing import Dict, Optional, Sequence, Tuple

import torch
from mmengine.dist import all_reduce
from torch import Tensor

from mmdepthsr.registry import BALANCERS

from .base import BaseBalancer
from .min_norm_solver import min_norm_solution_from_gram

__all__ = ['MGDA']

_NORMALIZATIONS = ('none', 'l2', 'loss', 'loss+')
_WEIGHTINGS = ('alpha', 'normalized')


@BALANCERS.register_module()
class MGDA(BaseBalancer):
    """Weights from the min-norm point of the tasks' representation grads.

    ``shared`` holds the shared representation ``Z`` (the tensors the task
    heads read, any shapes, attached to the graph); the task gradients are
    the concatenation of ``grad_Z L_t`` over them. Gradient normalisers
    ``n_t`` (the authors' code):

    * ``'none'``: 1;
    * ``'l2'``: ``||g_t||``;
    * ``'loss'``: ``L_t``;
    * ``'loss+'``: ``L_t ||g_t||``.

    The weights (``weighting``):

    * ``'alpha'`` (default, the authors' code): ``w_t = alpha_t``, applied
      to the unnormalised losses; ``sum_t w_t = 1``, so the step size of the
      optimiser keeps its meaning;
    * ``'normalized'``: ``w_t = alpha_t / n_t``, so the gradient that
      reaches ``Z`` is exactly the min-norm combination of the normalised
      gradients, a direction along which no task's loss increases to first
      order. With ``'loss+'`` the weights are then ``1 / (L_t ||g_t||)``
      in size (about 100 for unit losses with small representation
      gradients), which multiplies the effective learning rate of plain SGD
      by as much; adaptive optimisers (Adam) mostly absorb it.

    With ``'none'`` both agree. A normaliser that is not positive is
    replaced by 1.

    Only the Gram matrix ``g_i . g_j`` enters the solver. Under distributed
    training every process holds the gradients of its own samples, so the
    Gram matrices (and the losses, for the loss normalisers) are averaged
    over the processes and every process gets the same weights.

    In evaluation mode or without gradients every task is weighed ``1/T``.

    Args:
        tasks (Sequence[str]): Task names.
        normalization (str): ``'none'``, ``'l2'``, ``'loss'`` or
            ``'loss+'``. Defaults to ``'loss+'`` (the paper's experiments).
        weighting (str): ``'alpha'`` or ``'normalized'`` (see above).
            Defaults to ``'alpha'``.
        max_iter (int): Frank-Wolfe iterations for more than two tasks.
            Defaults to 250.
        tol (float): Relative Frank-Wolfe duality gap at which to stop.
            Defaults to 1e-5.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.

    Raises:
        ValueError: If ``normalization`` or ``weighting`` is unknown.
    """

    needs = 'features'

    def __init__(
        self,
        tasks: Sequence[str],
        normalization: str = 'loss+',
        weighting: str = 'alpha',
        max_iter: int = 250,
        tol: float = 1e-5,
        init_cfg=None,
    ) -> None:
        super().__init__(tasks, init_cfg=init_cfg)
        if normalization not in _NORMALIZATIONS:
            raise ValueError(
                f'MGDA: normalization must be one of {_NORMALIZATIONS}, got '
                f'{normalization!r}'
            )
        if weighting not in _WEIGHTINGS:
            raise ValueError(
                f'MGDA: weighting must be one of {_WEIGHTINGS}, got '
                f'{weighting!r}'
            )
        self.normalization = normalization
        self.weighting = weighting
        self.max_iter = max_iter
        self.tol = tol

    def balance(
        self, losses: Tensor, shared: Optional[Sequence[Tensor]]
    ) -> Tuple[Tensor, Tensor, Dict[str, Tensor]]:
        """Solve for the weights and weigh the losses.

        Args:
            losses (Tensor): Task losses ``(T,)``.
            shared (list[Tensor]): Shared representation tensors.

        Returns:
            tuple[Tensor, Tensor, dict]: ``sum_t w_t L_t`` (weights
            detached), the weights ``(T,)`` and, when training, the norm of
            the min-norm point (``min_norm``).
        """
        if not (
            self.training and torch.is_grad_enabled() and losses.requires_grad
        ):
            weights = torch.full_like(losses.detach(), 1.0 / self.num_tasks)
            return (weights * losses).sum(), weights, {}

        gram = self._gram(losses, shared)
        all_reduce(gram, op='mean')
        loss_values = losses.detach().double()
        all_reduce(loss_values, op='mean')
        grad_norms = gram.diagonal().clamp_min(0).sqrt()
        if self.normalization == 'l2':
            normalizers = grad_norms
        elif self.normalization == 'loss':
            normalizers = loss_values
        elif self.normalization == 'loss+':
            normalizers = loss_values * grad_norms
        else:
            normalizers = torch.ones_like(loss_values)
        normalizers = torch.where(
            normalizers > 0, normalizers, torch.ones_like(normalizers)
        )
        scaled_gram = gram / torch.outer(normalizers, normalizers)
        alpha = min_norm_solution_from_gram(
            scaled_gram, self.max_iter, self.tol
        )
        min_norm = (alpha @ scaled_gram @ alpha).clamp_min(0).sqrt()
        if self.weighting == 'normalized':
            alpha = alpha / normalizers
        weights = alpha.to(losses.dtype)
        total = (weights * losses).sum()
        return total, weights, {'min_norm': min_norm.to(losses.dtype)}

    def _gram(self, losses: Tensor, shared: Sequence[Tensor]) -> Tensor:
        """Gram matrix of the task gradients w.r.t. the representation.

        Args:
            losses (Tensor): Task losses ``(T,)``.
            shared (Sequence[Tensor]): Shared representation tensors.

        Returns:
            Tensor: ``(T, T)`` float64 matrix ``g_i . g_j``.
        """
        features = [z for z in shared if z.requires_grad]
        gram = torch.zeros(
            self.num_tasks,
            self.num_tasks,
            dtype=torch.float64,
            device=losses.device,
        )
        if not features:
            return gram
        task_grads = [
            torch.autograd.grad(
                losses[i], features, retain_graph=True, allow_unused=True
            )
            if losses[i].requires_grad
            else (None,) * len(features)
            for i in range(self.num_tasks)
        ]
        # One (T, numel) block per tensor: no copy of all gradients at once.
        for k, z in enumerate(features):
            rows = torch.stack(
                [
                    torch.zeros_like(z) if grads[k] is None else grads[k]
                    for grads in task_grads
                ]
            ).flatten(1)
            gram += (rows @ rows.T).double()
        return gram
