"""Surface-normal loss of Eigen & Fergus (2015).

Paper: D. Eigen, R. Fergus, "Predicting Depth, Surface Normals and Semantic
Labels with a Common Multi-Scale Convolutional Architecture", ICCV 2015,
section 3.2 (normals loss)::

    L = -1/n sum_i <N_i, N*_i>

over the ``n`` pixels with ground truth, ``N`` the predicted normals scaled
to unit length and ``N*`` the ground-truth unit normals. In the authors'
joint depth + normals model the total cost is ``L_depth + 10 L_normals``
(their release); set ``loss_weight=10`` for that.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmdepthsr.registry import MODELS


@MODELS.register_module()
class NormalCosineLoss(nn.Module):
    """Negative mean cosine between predicted and ground-truth normals.

    Both fields are L2-normalised per pixel (the ground truth is expected to
    be unit already; normalising it makes slightly off-unit decoded normals
    harmless). A ground-truth pixel is valid when its vector is finite and
    its norm exceeds ``eps`` (the zero vector marks missing normals). The
    mean is pooled over all valid pixels of the batch, so the loss lies in
    ``[-1, 1]`` (``-1`` = perfect) before ``loss_weight``.

    Args:
        loss_weight (float): Factor of the loss. Defaults to 1.0 (Eigen &
            Fergus use 10 relative to their depth loss).
        eps (float): Norm below which a ground-truth vector is invalid and
            the floor of the prediction norm. Defaults to 1e-6.
    """

    def __init__(self, loss_weight: float = 1.0, eps: float = 1e-6):
        super().__init__()
        self.loss_weight = loss_weight
        self.eps = eps

    def forward(
        self, pred: torch.Tensor, target: torch.Tensor
    ) -> torch.Tensor:
        """Compute the loss.

        Args:
            pred (Tensor): ``(N, 3, H, W)`` predicted normals (any length).
            target (Tensor): ``(N, 3, H, W)`` ground-truth unit normals,
                zero vector = invalid.

        Returns:
            Tensor: Scalar loss (times ``loss_weight``).

        Raises:
            ValueError: If the shapes differ, are not ``(N, 3, H, W)``, or
                no pixel of the batch is valid.
        """
        if (
            pred.shape != target.shape
            or pred.dim() != 4
            or (pred.shape[1] != 3)
        ):
            raise ValueError(
                'NormalCosineLoss: `pred` and `target` must have the same '
                f'(N, 3, H, W) shape, got {tuple(pred.shape)} and '
                f'{tuple(target.shape)}.'
            )
        finite = torch.isfinite(target).all(1)
        target = torch.where(finite.unsqueeze(1), target, 0.0)
        valid = finite & (target.norm(dim=1) > self.eps)
        if not valid.any():
            raise ValueError(
                'NormalCosineLoss: no valid ground-truth normal (non-zero '
                f'vector) in the whole batch of {len(target)} images; '
                'check the normal loading and the dataset.'
            )
        cos = (
            F.normalize(pred, dim=1, eps=self.eps)
            * F.normalize(target, dim=1, eps=self.eps)
        ).sum(1)
        cos = torch.where(valid, cos, 0.0)
        return self.loss_weight * (-cos.sum() / valid.sum())


__all__ = ['NormalCosineLoss']
