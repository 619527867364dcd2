"""Dynamic Weight Average (DWA) of Liu et al. (2019).

Paper: S. Liu, E. Johns, A. J. Davison, "End-to-End Multi-Task Learning
with Attention", CVPR 2019, section 3 (Dynamic Weight Average).

With ``L_t(k)`` the average loss of task ``t`` over period ``k``::

    r_t = L_t(k - 1) / L_t(k - 2)
    w_t = T * softmax(r / temperature)_t

so a task whose loss fell least in the last period gets the most weight.
The paper's period is one epoch; here it is a number of training forward
passes (``period``), which suits iteration-based schedules; set it to the
iterations per epoch to follow the paper. The first two periods use
``w_t = 1``.
"""

from typing import Dict, Optional, Sequence, Tuple

import torch
from mmengine.dist import all_reduce
from torch import Tensor

from mmdepthsr.registry import BALANCERS

from .base import BaseBalancer

__all__ = ['DynamicWeightAverage']


@BALANCERS.register_module()
class DynamicWeightAverage(BaseBalancer):
    """Weights from the rate of descent of each task's loss.

    The loss history lives in buffers (``running_sum``, ``running_count``,
    ``history``, ``num_periods``), so a checkpoint saved mid-period resumes
    with the same weights as an uninterrupted run. Only forward passes in
    training mode enter the history. Under distributed training the period
    averages are averaged over the processes, so every process uses the
    same weights. With gradient accumulation every micro-batch counts as
    one forward pass.

    Args:
        tasks (Sequence[str]): Task names.
        period (int): Forward passes per averaging period (the paper's
            epoch). Defaults to 100.
        temperature (float): Softmax temperature; larger is more uniform.
            Defaults to 2.0 (the paper's value).
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.

    Raises:
        ValueError: If ``period`` is not a positive integer or
            ``temperature`` is not positive.
    """

    def __init__(
        self,
        tasks: Sequence[str],
        period: int = 100,
        temperature: float = 2.0,
        init_cfg=None,
    ) -> None:
        super().__init__(tasks, init_cfg=init_cfg)
        if not isinstance(period, int) or isinstance(period, bool):
            raise ValueError(
                f'DynamicWeightAverage: period must be an integer number '
                f'of forward passes, got {period!r}'
            )
        if period < 1:
            raise ValueError(
                f'DynamicWeightAverage: period must be >= 1, got {period}'
            )
        if temperature <= 0:
            raise ValueError(
                'DynamicWeightAverage: temperature must be positive, got '
                f'{temperature}'
            )
        self.period = period
        self.temperature = float(temperature)
        num_tasks = self.num_tasks
        # Sum and count of the losses of the current period.
        self.register_buffer('running_sum', torch.zeros(num_tasks))
        self.register_buffer('running_count', torch.zeros((), dtype=int))
        # Average losses of the periods k - 2 (row 0) and k - 1 (row 1).
        self.register_buffer('history', torch.zeros(2, num_tasks))
        self.register_buffer('num_periods', torch.zeros((), dtype=int))

    def current_weights(self) -> Tensor:
        """Weights for the current period.

        Returns:
            Tensor: ``(T,)`` weights summing to ``T``; all 1 during the
            first two periods.
        """
        if self.num_periods < 2:
            return torch.ones_like(self.running_sum)
        ratios = self.history[1] / self.history[0].clamp_min(1e-12)
        return self.num_tasks * torch.softmax(ratios / self.temperature, 0)

    def balance(
        self, losses: Tensor, shared: Optional[Sequence[Tensor]]
    ) -> Tuple[Tensor, Tensor, Dict[str, Tensor]]:
        """Weigh the losses, then record them in the history.

        Args:
            losses (Tensor): Task losses ``(T,)``.
            shared (list[Tensor], optional): Unused.

        Returns:
            tuple[Tensor, Tensor, dict]: ``sum_t w_t L_t``, the weights
            ``(T,)`` and no extra entries.
        """
        weights = self.current_weights().to(losses.dtype)
        if self.training:
            self._record(losses.detach())
        return (weights * losses).sum(), weights, {}

    @torch.no_grad()
    def _record(self, losses: Tensor) -> None:
        """Add one forward pass to the current period; close it if full."""
        self.running_sum += losses.to(self.running_sum.dtype)
        self.running_count += 1
        if self.running_count < self.period:
            return
        average = self.running_sum / self.period
        all_reduce(average, op='mean')
        self.history[0].copy_(self.history[1])
        self.history[1].copy_(average)
        self.running_sum.zero_()
        self.running_count.zero_()
        self.num_periods += 1
