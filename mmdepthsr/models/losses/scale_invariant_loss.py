"""Scale-invariant log-depth loss of Eigen et al. (2014).

Paper: D. Eigen, C. Puhrsch, R. Fergus, "Depth Map Prediction from a Single
Image using a Multi-Scale Deep Network", NIPS 2014, section 3.2, eq. (4).
Batch reduction and target space follow the authors' Theano release.

Per image, over its ``n`` valid pixels, with ``d_i = pred_i - t_i`` the
difference in the (normalised) log space::

    L = 1/n sum_i d_i^2 - lambda / n^2 (sum_i d_i)^2
      = mean((d - mean(d))^2) + (1 - lambda) mean(d)^2

``lambda = 0`` is the L2 loss on log depth, ``lambda = 1`` the (squared)
scale-invariant error; Eigen trains with ``lambda = 0.5``.
"""

from typing import Optional

import torch
import torch.nn as nn

from mmdepthsr.registry import MODELS

#: Standard deviation of the natural log of the NYU training depths (metres),
#: hard-coded in the Eigen 2014 release. The networks regress
#: ``t = ln(depth) / EIGEN_LOG_DEPTH_SCALE`` (not mean-subtracted).
EIGEN_LOG_DEPTH_SCALE = 0.45723134


@MODELS.register_module()
class ScaleInvariantLogLoss(nn.Module):
    """Masked scale-invariant loss between log-space predictions and depth.

    ``pred`` is in the normalised log space ``ln(depth) / log_space_scale``
    (Eigen: ``log_space_scale = 0.45723134``; None = natural log). ``target``
    is depth in metres: pixels with ``target > eps`` (and finite) are valid,
    the others (0 = invalid) are ignored; the target is mapped to the same
    space, ``t = ln(target) / log_space_scale``, so the loss is
    ``1 / log_space_scale^2`` times the natural-log value (Eigen's learning
    rates assume that).

    Batch reductions (``n_b`` valid pixels of image ``b``, ``d`` its
    differences):

    * ``'eigen'`` (the release's)::

          sum_b [n_b sum d^2 - lambda (sum d)^2] / max(sum_b n_b^2, 1)

      i.e. the per-image losses averaged with weights ``n_b^2``.
    * ``'mean'``: the plain mean of the per-image losses over the images
      that have valid pixels.

    Both coincide when every image has the same number of valid pixels. An
    image without valid pixels contributes nothing; a batch without any
    valid pixel raises an error (training must not skip silently).

    Args:
        lambda_ (float): Weight of the scale-invariance term. Defaults to 0.5.
        reduction (str): ``'eigen'`` or ``'mean'``. Defaults to ``'eigen'``.
        loss_weight (float): Factor of the loss. Defaults to 1.0.
        log_space_scale (float, optional): Divisor of the natural log in the
            prediction space. Defaults to :data:`EIGEN_LOG_DEPTH_SCALE`.
        eps (float): Depths ``<= eps`` (metres) are invalid. Defaults to 0.
    """

    def __init__(
        self,
        lambda_: float = 0.5,
        reduction: str = 'eigen',
        loss_weight: float = 1.0,
        log_space_scale: Optional[float] = EIGEN_LOG_DEPTH_SCALE,
        eps: float = 0.0,
    ):
        super().__init__()
        if reduction not in ('eigen', 'mean'):
            raise ValueError(
                'ScaleInvariantLogLoss: `reduction` must be "eigen" or '
                f'"mean", got "{reduction}".'
            )
        if log_space_scale is not None and log_space_scale <= 0:
            raise ValueError(
                'ScaleInvariantLogLoss: `log_space_scale` must be positive, '
                f'got {log_space_scale}.'
            )
        self.lambda_ = lambda_
        self.reduction = reduction
        self.loss_weight = loss_weight
        self.log_space_scale = log_space_scale
        self.eps = eps

    def forward(
        self, pred: torch.Tensor, target: torch.Tensor
    ) -> torch.Tensor:
        """Compute the loss.

        Args:
            pred (Tensor): ``(N, 1, H, W)`` predicted log depth in the
                normalised space.
            target (Tensor): ``(N, 1, H, W)`` ground-truth depth in metres,
                0 (or ``<= eps``) = invalid.

        Returns:
            Tensor: Scalar loss (times ``loss_weight``).

        Raises:
            ValueError: If the shapes differ or no pixel of the batch is
                valid.
        """
        if pred.shape != target.shape:
            raise ValueError(
                'ScaleInvariantLogLoss: `pred` and `target` must have the '
                f'same shape, got {tuple(pred.shape)} and '
                f'{tuple(target.shape)}.'
            )
        valid = (target > self.eps) & torch.isfinite(target)
        if not valid.any():
            raise ValueError(
                'ScaleInvariantLogLoss: no valid ground-truth depth '
                f'(> {self.eps} m) in the whole batch of {len(target)} '
                'images; check the depth loading (scale), the crop and the '
                'dataset.'
            )
        log_target = torch.log(torch.where(valid, target, 1.0))
        if self.log_space_scale is not None:
            log_target = log_target / self.log_space_scale
        diff = torch.where(valid, pred - log_target, 0.0).flatten(1)
        n = valid.flatten(1).sum(1).to(pred.dtype)
        sum_sq = (diff**2).sum(1)
        sum_d = diff.sum(1)
        if self.reduction == 'eigen':
            loss = (n * sum_sq - self.lambda_ * sum_d**2).sum() / (
                (n**2).sum().clamp(min=1)
            )
        else:
            has = n > 0
            n, sum_sq, sum_d = n[has], sum_sq[has], sum_d[has]
            loss = (sum_sq / n - self.lambda_ * sum_d**2 / n**2).mean()
        return self.loss_weight * loss
