"""Consistency between two depth predictions of one scene.

The loss-coupled joint model (v1: a guided depth SR network and a
monocular depth network side by side) ties its two outputs together with
it: where both predict the same depth map, their disagreement is a
training signal for both, without any label (the multi-resolution
consistency terms of Xu et al., "Weakly-supervised monocular depth
estimation with resolution-mismatched data", arXiv 2109.11573, are of the
same kind).
"""

from typing import Optional

import torch
import torch.nn as nn

from mmdepthsr.registry import MODELS

__all__ = ['DepthConsistencyLoss']

_MODES = ('l1', 'l2')
_DETACH = (None, 'first', 'second')


@MODELS.register_module()
class DepthConsistencyLoss(nn.Module):
    """Mean distance between two depth maps.

    ``loss = loss_weight * mean(|a - b|)`` (``'l1'``) or ``mean((a - b)^2)``
    (``'l2'``), over the pixels where both maps are finite and, when a
    ``valid`` mask is given, where it is true. With ``detach='first'`` the
    gradient only reaches ``b`` (``a`` acts as a teacher), with
    ``'second'`` only ``a``; by default both.

    Args:
        mode (str): ``'l1'`` or ``'l2'``. Defaults to ``'l1'``.
        detach (str, optional): None, ``'first'`` or ``'second'``. Defaults
            to None.
        loss_weight (float): Factor of the loss. Defaults to 1.0.

    Examples:
        >>> loss = DepthConsistencyLoss()
        >>> a, b = torch.ones(1, 1, 2, 2), torch.zeros(1, 1, 2, 2)
        >>> float(loss(a, b))
        1.0
    """

    def __init__(
        self,
        mode: str = 'l1',
        detach: Optional[str] = None,
        loss_weight: float = 1.0,
    ):
        super().__init__()
        if mode not in _MODES:
            raise ValueError(
                f'DepthConsistencyLoss: mode must be one of {_MODES}, got '
                f'{mode!r}.'
            )
        if detach not in _DETACH:
            raise ValueError(
                f'DepthConsistencyLoss: detach must be one of {_DETACH}, '
                f'got {detach!r}.'
            )
        self.mode = mode
        self.detach = detach
        self.loss_weight = loss_weight

    def forward(
        self,
        first: torch.Tensor,
        second: torch.Tensor,
        valid: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        """Compute the loss.

        Args:
            first (Tensor): ``(N, 1, H, W)`` depth.
            second (Tensor): ``(N, 1, H, W)`` depth.
            valid (Tensor, optional): Boolean mask broadcastable to them.

        Returns:
            Tensor: Scalar loss (times ``loss_weight``); 0 (with a
            gradient path) when no pixel is valid.
        """
        if first.shape != second.shape:
            raise ValueError(
                'DepthConsistencyLoss: the two maps must have the same '
                f'shape, got {tuple(first.shape)} and '
                f'{tuple(second.shape)}.'
            )
        if self.detach == 'first':
            first = first.detach()
        elif self.detach == 'second':
            second = second.detach()
        mask = torch.isfinite(first) & torch.isfinite(second)
        if valid is not None:
            mask = mask & valid.bool()
        diff = torch.where(mask, first - second, 0)
        dist = diff.abs() if self.mode == 'l1' else diff.pow(2)
        return self.loss_weight * dist.sum() / mask.sum().clamp(min=1)
