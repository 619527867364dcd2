"""Fixed task weights: ``L = sum_t w_t L_t``.

The baseline of every multi-task study, e.g. the hand-tuned weights of
Eigen & Fergus, "Predicting Depth, Surface Normals and Semantic Labels with
a Common Multi-Scale Convolutional Architecture", ICCV 2015.
"""

from typing import Dict, Optional, Sequence, Tuple

import torch
from torch import Tensor

from mmdepthsr.registry import BALANCERS

from .base import BaseBalancer

__all__ = ['FixedWeighting']


@BALANCERS.register_module()
class FixedWeighting(BaseBalancer):
    """Constant per-task weights.

    Args:
        tasks (Sequence[str]): Task names.
        weights (dict[str, float], optional): Weight of every task. None
            weighs every task 1. Defaults to None.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.

    Raises:
        KeyError: If ``weights`` misses a task or names an unknown one.
        ValueError: If a weight is negative.
    """

    def __init__(
        self,
        tasks: Sequence[str],
        weights: Optional[Dict[str, float]] = None,
        init_cfg=None,
    ) -> None:
        super().__init__(tasks, init_cfg=init_cfg)
        if weights is None:
            weights = {task: 1.0 for task in self.tasks}
        missing = [t for t in self.tasks if t not in weights]
        unknown = [t for t in weights if t not in self.tasks]
        if missing or unknown:
            raise KeyError(
                f'FixedWeighting: weights must have one entry per task '
                f'{list(self.tasks)}; missing {missing}, unknown {unknown}'
            )
        for task in self.tasks:
            if weights[task] < 0:
                raise ValueError(
                    f'FixedWeighting: the weight of task {task!r} must be '
                    f'non-negative, got {weights[task]}'
                )
        self.register_buffer(
            'weights',
            torch.tensor([float(weights[t]) for t in self.tasks]),
            persistent=False,
        )

    def balance(
        self, losses: Tensor, shared: Optional[Sequence[Tensor]]
    ) -> Tuple[Tensor, Tensor, Dict[str, Tensor]]:
        """Weighted sum of the losses.

        Args:
            losses (Tensor): Task losses ``(T,)``.
            shared (list[Tensor], optional): Unused.

        Returns:
            tuple[Tensor, Tensor, dict]: ``sum_t w_t L_t``, the weights
            ``(T,)`` and no extra entries.
        """
        weights = self.weights.to(losses.dtype)
        return (weights * losses).sum(), weights, {}
