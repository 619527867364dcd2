"""Masked L1 loss, the reconstruction loss of guided depth SR.

PMBANet (Ye et al., IEEE TIP 2020; Sunbaoli/PMBANet_DSR) and most NYU v2
depth SR models (DKN, JIIF, SGNet) train with the plain L1 distance
between the predicted and the ground-truth HR depth.
"""

import torch
import torch.nn as nn

from mmdepthsr.registry import MODELS


@MODELS.register_module()
class L1Loss(nn.Module):
    """Mean absolute error over the valid ground-truth pixels.

    ``loss = loss_weight * mean(|pred - target|)`` over the pixels with a
    finite ``target > 0`` (0 marks missing depth), pooled over the batch
    (every valid pixel has the same weight).

    Args:
        loss_weight (float): Factor of the loss. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(
        self, pred: torch.Tensor, target: torch.Tensor
    ) -> torch.Tensor:
        """Compute the loss.

        Args:
            pred (Tensor): ``(N, 1, H, W)`` prediction.
            target (Tensor): ``(N, 1, H, W)`` ground truth, 0 = invalid.

        Returns:
            Tensor: Scalar loss (times ``loss_weight``).

        Raises:
            ValueError: If the shapes differ or no pixel of the batch is
                valid.
        """
        if pred.shape != target.shape:
            raise ValueError(
                'L1Loss: `pred` and `target` must have the same shape, got '
                f'{tuple(pred.shape)} and {tuple(target.shape)}.'
            )
        valid = (target > 0) & torch.isfinite(target)
        if not valid.any():
            raise ValueError(
                'L1Loss: no valid ground-truth pixel (finite and > 0) in '
                f'the whole batch of {len(target)}; check the depth '
                'loading, the crop and the dataset.'
            )
        diff = torch.where(valid, pred - torch.where(valid, target, 0), 0)
        return self.loss_weight * diff.abs().sum() / valid.sum()


__all__ = ['L1Loss']
