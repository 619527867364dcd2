"""Homoscedastic-uncertainty weighting of Kendall et al. (2018).

Paper: A. Kendall, Y. Gal, R. Cipolla, "Multi-Task Learning Using
Uncertainty to Weigh Losses for Scene Geometry and Semantics", CVPR 2018,
section 3.2.

Each task has a learnable log-variance ``s_t = log sigma_t^2`` and::

    L = sum_t exp(-s_t) L_t + s_t

This is the common simplified form. The paper's eq. (7) writes
``1 / (2 sigma^2) L_t + log sigma`` for regression and
``1 / sigma^2 L_t + log sigma`` for classification, which is half of the
form above with the classification log-variances offset by ``ln 2``
(``2 exp(-s) L + s = exp(-(s - ln 2)) L + (s - ln 2) + ln 2``). A per-task
factor ``c_t`` in front of ``exp(-s_t)`` is therefore the same as starting
``s_t`` at ``ln(1 / c_t)`` lower, which ``init_log_variance`` sets per
task; the overall 1/2 is a learning-rate scale.

At the optimum of ``s_t``, ``exp(-s_t) = 1 / L_t``: every task is weighed by
the inverse of its (smoothed) loss.
"""

from typing import Dict, Optional, Sequence, Tuple, Union

import torch
from torch import Tensor, nn

from mmdepthsr.registry import BALANCERS

from .base import BaseBalancer

__all__ = ['UncertaintyWeighting']


@BALANCERS.register_module()
class UncertaintyWeighting(BaseBalancer):
    """Learnable log-variance per task, ``L = sum_t exp(-s_t) L_t + s_t``.

    The log-variances are parameters of the model, optimised by the model's
    optimizer together with the network. Exclude them from weight decay,
    which would pull every weight towards 1, e.g.
    ``paramwise_cfg=dict(custom_keys={'balancer': dict(decay_mult=0.)})``.

    The logged ``weight_<task>`` is ``exp(-s_t)``; the total can be negative
    once a log-variance is negative.

    Args:
        tasks (Sequence[str]): Task names.
        init_log_variance (float | dict[str, float]): Initial ``s_t``, one
            value for all tasks or one per task. Defaults to 0 (weights 1).
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.

    Raises:
        KeyError: If a per-task ``init_log_variance`` misses a task or names
            an unknown one.
    """

    def __init__(
        self,
        tasks: Sequence[str],
        init_log_variance: Union[float, Dict[str, float]] = 0.0,
        init_cfg=None,
    ) -> None:
        super().__init__(tasks, init_cfg=init_cfg)
        if isinstance(init_log_variance, dict):
            missing = [t for t in self.tasks if t not in init_log_variance]
            unknown = [t for t in init_log_variance if t not in self.tasks]
            if missing or unknown:
                raise KeyError(
                    'UncertaintyWeighting: init_log_variance must have one '
                    f'entry per task {list(self.tasks)}; missing {missing}, '
                    f'unknown {unknown}'
                )
            init = [float(init_log_variance[t]) for t in self.tasks]
        else:
            init = [float(init_log_variance)] * self.num_tasks
        #: ``(T,)`` learnable log-variances ``s_t``, in the order of tasks.
        self.log_variances = nn.Parameter(torch.tensor(init))

    def balance(
        self, losses: Tensor, shared: Optional[Sequence[Tensor]]
    ) -> Tuple[Tensor, Tensor, Dict[str, Tensor]]:
        """Uncertainty-weighted sum.

        Args:
            losses (Tensor): Task losses ``(T,)``.
            shared (list[Tensor], optional): Unused.

        Returns:
            tuple[Tensor, Tensor, dict]: ``sum_t exp(-s_t) L_t + s_t``, the
            weights ``exp(-s_t)`` ``(T,)`` and no extra entries.
        """
        log_variances = self.log_variances.to(losses.dtype)
        weights = torch.exp(-log_variances)
        return (weights * losses + log_variances).sum(), weights, {}
