"""Ground truth at the resolution of a coarse prediction.

Deep supervision compares a prediction at ``1 / k`` of the input size with
the ground truth brought to that size. Each kind of target has its own rule,
so that holes neither shrink nor vanish and labels stay labels:

- depth (:func:`downsample_depth_gt`): the mean of the valid pixels of each
  ``k x k`` block (``'masked_mean'``) or its centre pixel (``'nearest'``);
- labels (:func:`subsample_labels`): the pixel at offset ``k // 2`` of each
  block (no averaging of class ids);
- normals (:func:`downsample_normal_gt`): the mean of the valid vectors of
  each block, renormalised to unit length.
"""

import torch
import torch.nn.functional as F

GT_DOWNSAMPLE_MODES = ('masked_mean', 'nearest')


def _check_factor(name: str, gt: torch.Tensor, factor: int) -> None:
    if gt.shape[-2] % factor or gt.shape[-1] % factor:
        raise ValueError(
            f'{name}: size {tuple(gt.shape[-2:])} is not divisible by '
            f'{factor}.'
        )


def downsample_depth_gt(
    gt: torch.Tensor, factor: int, mode: str = 'masked_mean'
) -> torch.Tensor:
    """Validity-aware downsampling of a depth ground truth.

    ``'masked_mean'``: every output pixel is the mean of the valid (finite,
    ``> 0``) pixels of its ``factor x factor`` block, 0 (invalid) when the
    block has none. ``'nearest'``: the pixel at offset ``factor // 2`` of
    each block (invalid stays invalid).

    Args:
        gt (Tensor): ``(N, 1, H, W)`` depth, 0 = invalid; ``H`` and ``W``
            divisible by ``factor``.
        factor (int): Integer downsampling factor (1 returns ``gt``).
        mode (str): ``'masked_mean'`` or ``'nearest'``.

    Returns:
        Tensor: ``(N, 1, H / factor, W / factor)``.

    Raises:
        ValueError: On an unknown mode or a size not divisible by
            ``factor``.

    Examples:
        >>> gt = torch.tensor([[[[1., 3., 0., 0.], [0., 2., 0., 4.]]]])
        >>> downsample_depth_gt(gt, 2)
        tensor([[[[2., 4.]]]])
    """
    if mode not in GT_DOWNSAMPLE_MODES:
        raise ValueError(
            f'downsample_depth_gt: mode must be one of {GT_DOWNSAMPLE_MODES},'
            f' got {mode!r}.'
        )
    if factor == 1:
        return gt
    _check_factor('downsample_depth_gt', gt, factor)
    if mode == 'nearest':
        return gt[..., factor // 2 :: factor, factor // 2 :: factor]
    valid = (gt > 0) & torch.isfinite(gt)
    total = F.avg_pool2d(torch.where(valid, gt, torch.zeros_like(gt)), factor)
    count = F.avg_pool2d(valid.to(gt.dtype), factor)
    return torch.where(count > 0, total / count.clamp(min=1e-12), 0.0)


def subsample_labels(labels: torch.Tensor, factor: int) -> torch.Tensor:
    """Labels at ``1 / factor``: the pixel at offset ``factor // 2`` of every
    ``factor x factor`` block.

    Args:
        labels (Tensor): ``(N, 1, H, W)`` class ids (any ignore value).
        factor (int): Integer factor (1 returns ``labels``).

    Returns:
        Tensor: ``(N, 1, H / factor, W / factor)``.

    Examples:
        >>> subsample_labels(torch.arange(16).view(1, 1, 4, 4), 2)
        tensor([[[[ 5,  7],
                  [13, 15]]]])
    """
    if factor == 1:
        return labels
    _check_factor('subsample_labels', labels, factor)
    start = factor // 2
    return labels[..., start::factor, start::factor]


def downsample_normal_gt(
    gt: torch.Tensor, factor: int, eps: float = 1e-6
) -> torch.Tensor:
    """Block mean of the valid normals, renormalised to unit length.

    Args:
        gt (Tensor): ``(N, 3, H, W)`` unit normals, zero vector = invalid.
        factor (int): Integer factor (1 returns ``gt``).
        eps (float): Vectors shorter than this count as invalid.

    Returns:
        Tensor: ``(N, 3, H / factor, W / factor)`` unit vectors; the zero
        vector where a block has no valid normal or its normals cancel.
    """
    if factor == 1:
        return gt
    _check_factor('downsample_normal_gt', gt, factor)
    finite = torch.isfinite(gt).all(1, keepdim=True)
    gt = torch.where(finite, gt, 0.0)
    total = F.avg_pool2d(gt, factor)
    length = total.norm(dim=1, keepdim=True)
    return torch.where(length > eps, total / length.clamp(min=eps), 0.0)


__all__ = [
    'GT_DOWNSAMPLE_MODES',
    'downsample_depth_gt',
    'downsample_normal_gt',
    'subsample_labels',
]
