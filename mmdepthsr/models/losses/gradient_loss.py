"""Depth loss with gradient matching of Eigen & Fergus (2015).

Paper: D. Eigen, R. Fergus, "Predicting Depth, Surface Normals and Semantic
Labels with a Common Multi-Scale Convolutional Architecture", ICCV 2015,
section 3.2 (depth loss). Normalisation and batch reduction follow the
authors' Theano release (``models/iccv15``).

With ``d = log(pred) - log(target)`` in the (normalised) log space and ``n``
the valid pixels of an image::

    L = 1/n sum_i d_i^2 - lambda / n^2 (sum_i d_i)^2
        + mean_x[(d(u + 1, v) - d(u, v))^2]
        + mean_y[(d(u, v + 1) - d(u, v))^2]

with ``lambda = 1/2``. The gradients are forward differences (step 1) that
count only where both neighbours are valid; each direction is averaged over
its own valid pairs. The gradient terms vanish for ``pred = c * target``.
"""

from typing import Optional

import torch
import torch.nn as nn

from mmdepthsr.registry import MODELS

from .scale_invariant_loss import EIGEN_LOG_DEPTH_SCALE


def _masked_forward_diff_sq(
    d: torch.Tensor, valid: torch.Tensor, dim: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-image sum of squared forward differences and pair counts.

    Args:
        d (Tensor): ``(N, 1, H, W)`` differences, zero where invalid.
        valid (Tensor): ``(N, 1, H, W)`` bool mask.
        dim (int): -1 for horizontal (x), -2 for vertical (y) differences.

    Returns:
        tuple[Tensor, Tensor]: ``(N,)`` sums of squares and ``(N,)`` counts
        of the neighbour pairs with both pixels valid.
    """
    size = d.shape[dim]
    grad = d.narrow(dim, 1, size - 1) - d.narrow(dim, 0, size - 1)
    pair = valid.narrow(dim, 1, size - 1) & valid.narrow(dim, 0, size - 1)
    sq = torch.where(pair, grad, 0.0) ** 2
    return sq.flatten(1).sum(1), pair.flatten(1).sum(1).to(d.dtype)


@MODELS.register_module()
class EigenGradientDepthLoss(nn.Module):
    """Scale-invariant log loss plus first-order gradient matching.

    ``target`` is depth in metres: pixels with a finite ``target > eps`` are
    valid (0 = invalid). It is mapped to ``t = ln(target) / log_space_scale``
    (Eigen: ``log_space_scale = 0.45723134``; None = natural log), so the
    loss is ``1 / log_space_scale^2`` times the natural-log value.

    ``pred_space`` says what the network outputs:

    * ``'log'`` (Eigen & Fergus): ``pred`` is already
      ``ln(depth) / log_space_scale``;
    * ``'metric'``: ``pred`` is depth in metres; it is mapped as the target,
      after clamping to ``min_pred`` (clamped pixels get no gradient).

    Batch reductions (``n_b`` valid pixels of image ``b``):

    * ``'eigen'`` (the release's): the scale-invariant part is
      ``sum_b [n_b sum d^2 - lambda (sum d)^2] / max(sum_b n_b^2, 1)``, and
      each gradient direction is the sum of the squared differences over
      all valid pairs of the batch divided by their number in the batch.
    * ``'mean'``: every term is computed per image (gradient directions
      over the image's own valid pairs; 0 when it has none) and the
      per-image losses are averaged over the images with valid pixels.

    The paper prints the gradient term as ``1/n sum [(grad_x d)^2 +
    (grad_y d)^2]``; the release (followed here) divides each direction by
    its own count of valid pairs instead of ``n``. A batch without any valid
    pixel raises an error.

    Args:
        lambda_ (float): Weight of the scale-invariance term. Defaults to 0.5.
        grad_weight (float): Weight of the gradient terms. Defaults to 1.0.
        pred_space (str): ``'log'`` or ``'metric'``. Defaults to ``'log'``.
        reduction (str): ``'eigen'`` or ``'mean'``. Defaults to ``'eigen'``.
        loss_weight (float): Factor of the loss. Defaults to 1.0.
        log_space_scale (float, optional): Divisor of the natural log.
            Defaults to :data:`EIGEN_LOG_DEPTH_SCALE`.
        eps (float): Depths ``<= eps`` (metres) are invalid. Defaults to 0.
        min_pred (float): Clamp of metric predictions before the log.
            Defaults to 1e-6.
    """

    def __init__(
        self,
        lambda_: float = 0.5,
        grad_weight: float = 1.0,
        pred_space: str = 'log',
        reduction: str = 'eigen',
        loss_weight: float = 1.0,
        log_space_scale: Optional[float] = EIGEN_LOG_DEPTH_SCALE,
        eps: float = 0.0,
        min_pred: float = 1e-6,
    ):
        super().__init__()
        name = type(self).__name__
        if pred_space not in ('log', 'metric'):
            raise ValueError(
                f'{name}: `pred_space` must be "log" or "metric", got '
                f'"{pred_space}".'
            )
        if reduction not in ('eigen', 'mean'):
            raise ValueError(
                f'{name}: `reduction` must be "eigen" or "mean", got '
                f'"{reduction}".'
            )
        if log_space_scale is not None and log_space_scale <= 0:
            raise ValueError(
                f'{name}: `log_space_scale` must be positive, got '
                f'{log_space_scale}.'
            )
        if min_pred <= 0:
            raise ValueError(
                f'{name}: `min_pred` must be positive, got {min_pred}.'
            )
        self.lambda_ = lambda_
        self.grad_weight = grad_weight
        self.pred_space = pred_space
        self.reduction = reduction
        self.loss_weight = loss_weight
        self.log_space_scale = log_space_scale
        self.eps = eps
        self.min_pred = min_pred

    def _to_log_space(self, depth: torch.Tensor) -> torch.Tensor:
        log = torch.log(depth)
        if self.log_space_scale is not None:
            log = log / self.log_space_scale
        return log

    def forward(
        self, pred: torch.Tensor, target: torch.Tensor
    ) -> torch.Tensor:
        """Compute the loss.

        Args:
            pred (Tensor): ``(N, 1, H, W)`` prediction in ``pred_space``.
            target (Tensor): ``(N, 1, H, W)`` ground-truth depth in metres,
                0 (or ``<= eps``) = invalid.

        Returns:
            Tensor: Scalar loss (times ``loss_weight``).

        Raises:
            ValueError: If the shapes differ, are not 4-D, or no pixel of
                the batch is valid.
        """
        name = type(self).__name__
        if pred.shape != target.shape or pred.dim() != 4:
            raise ValueError(
                f'{name}: `pred` and `target` must have the same (N, 1, H, '
                f'W) shape, got {tuple(pred.shape)} and '
                f'{tuple(target.shape)}.'
            )
        valid = (target > self.eps) & torch.isfinite(target)
        if not valid.any():
            raise ValueError(
                f'{name}: no valid ground-truth depth (> {self.eps} m) in '
                f'the whole batch of {len(target)} images; check the depth '
                'loading (scale), the crop and the dataset.'
            )
        if self.pred_space == 'metric':
            pred = self._to_log_space(pred.clamp(min=self.min_pred))
        log_target = self._to_log_space(torch.where(valid, target, 1.0))
        d = torch.where(valid, pred - log_target, 0.0)

        n = valid.flatten(1).sum(1).to(d.dtype)
        sum_sq = (d**2).flatten(1).sum(1)
        sum_d = d.flatten(1).sum(1)
        gx, cx = _masked_forward_diff_sq(d, valid, -1)
        gy, cy = _masked_forward_diff_sq(d, valid, -2)

        if self.reduction == 'eigen':
            si = (n * sum_sq - self.lambda_ * sum_d**2).sum() / (
                (n**2).sum().clamp(min=1)
            )
            grad = gx.sum() / cx.sum().clamp(min=1) + gy.sum() / (
                cy.sum().clamp(min=1)
            )
            loss = si + self.grad_weight * grad
        else:
            has = n > 0
            si = sum_sq[has] / n[has] - self.lambda_ * (
                sum_d[has] ** 2 / n[has] ** 2
            )
            grad = gx[has] / cx[has].clamp(min=1) + gy[has] / (
                cy[has].clamp(min=1)
            )
            loss = (si + self.grad_weight * grad).mean()
        return self.loss_weight * loss


__all__ = ['EigenGradientDepthLoss']
