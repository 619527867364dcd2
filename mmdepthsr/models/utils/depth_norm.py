"""Depth normalisation of DSR inputs and its inverse on outputs.

Guided depth super-resolution networks are trained on depth divided into
``[0, 1]``: the NYU v2 protocol of DKN / FDKN / JIIF divides each image by
its min-max range, and PMBANet (Sunbaoli/PMBANet_DSR) reads 8-bit maps
divided by 255. The low-resolution input is mapped by the affine rule

    ``lr_norm = (lr - m) / (M - m)``

(``'max'`` mode: ``m = 0``), the network predicts in the same units, and its
output goes back to metres by the inverse ``pred * (M - m) + m`` before any
loss or metric. The pipeline transform ``NormalizeDepth`` records ``m`` and
``M`` as ``depth_norm_min`` / ``depth_norm_max`` in each sample's metainfo;
:func:`denormalize_depth` reads them back. Tiled inference normalises every
LR tile by its own statistics with :func:`normalize_depth_tile` and undoes
it with :func:`denormalize_depth_tile`.
"""

from typing import Optional, Sequence, Tuple

import torch

#: Normalisation modes: ``'max'`` (``m = 0``) and ``'minmax'``.
DEPTH_NORM_MODES = ('max', 'minmax')


def _sample_name(sample, index: int) -> str:
    return str(sample.metainfo.get('img_path', f'sample {index}'))


def depth_norm_range(
    data_samples: Sequence, like: torch.Tensor
) -> Optional[Tuple[torch.Tensor, torch.Tensor]]:
    """The ``(m, M)`` recorded in each sample's metainfo.

    A sample without ``depth_norm_max`` gets ``(0, 1)`` (identity); a
    missing ``depth_norm_min`` is 0.

    Args:
        data_samples (Sequence[DenseDataSample]): The batch.
        like (Tensor): Tensor whose device and dtype the result takes.

    Returns:
        tuple[Tensor, Tensor] | None: ``m`` and ``M``, each
        ``(N, 1, 1, 1)``; None when no sample is normalised.

    Raises:
        ValueError: If a sample records ``M <= m``.
    """
    lows, highs, any_norm = [], [], False
    for i, sample in enumerate(data_samples):
        meta = sample.metainfo
        high = meta.get('depth_norm_max')
        if high is None:
            lows.append(0.0)
            highs.append(1.0)
            continue
        any_norm = True
        low = float(meta.get('depth_norm_min', 0.0) or 0.0)
        high = float(high)
        if not high > low:
            raise ValueError(
                f'denormalize_depth: {_sample_name(sample, i)} records '
                f'depth_norm_max={high} <= depth_norm_min={low}; the '
                'normalisation range must be positive.'
            )
        lows.append(low)
        highs.append(high)
    if not any_norm:
        return None
    kwargs = dict(device=like.device, dtype=like.dtype)
    low_t = torch.tensor(lows, **kwargs).view(-1, 1, 1, 1)
    high_t = torch.tensor(highs, **kwargs).view(-1, 1, 1, 1)
    return low_t, high_t


def denormalize_depth(
    pred: torch.Tensor, data_samples: Optional[Sequence]
) -> torch.Tensor:
    """Bring a prediction in normalised units back to metres.

    ``pred * (M - m) + m`` per sample, with ``M = depth_norm_max`` and
    ``m = depth_norm_min`` (default 0) of the sample's metainfo; samples
    without ``depth_norm_max`` are left as they are. Differentiable in
    ``pred``.

    Args:
        pred (Tensor): ``(N, C, H, W)`` prediction (any ``C``).
        data_samples (Sequence[DenseDataSample], optional): The ``N``
            samples of the batch; None returns ``pred`` unchanged.

    Returns:
        Tensor: ``(N, C, H, W)`` in metres.

    Raises:
        ValueError: If the number of samples is not ``N`` or a sample
            records an empty range.
    """
    if data_samples is None:
        return pred
    if len(data_samples) != pred.shape[0]:
        raise ValueError(
            f'denormalize_depth: {len(data_samples)} data samples for a '
            f'batch of {pred.shape[0]} predictions.'
        )
    norm = depth_norm_range(data_samples, pred)
    if norm is None:
        return pred
    return denormalize_depth_tile(pred, *norm)


def normalize_depth_tile(
    lr_depth: torch.Tensor, mode: str = 'max'
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Normalise each sample of a depth tile by its own statistics.

    ``m`` and ``M`` are the minimum and maximum of the tile's valid pixels
    (finite and ``> 0``; 0 marks missing depth), ``m = 0`` in ``'max'``
    mode. The affine map ``(x - m) / (M - m)`` is applied to every pixel,
    so that :func:`denormalize_depth_tile` inverts it exactly (missing
    pixels stay 0 in ``'max'`` mode). Degenerate tiles are left in metres
    rather than divided by zero: a tile without a valid pixel gets
    ``(m, M) = (0, 1)``, a constant tile in ``'minmax'`` mode
    ``M = m + 1`` (it maps to 0).

    Args:
        lr_depth (Tensor): ``(N, 1, h, w)`` depth in metres.
        mode (str): ``'max'`` or ``'minmax'``.

    Returns:
        tuple[Tensor, Tensor, Tensor]: The normalised tile ``(N, 1, h, w)``
        and ``m``, ``M``, each ``(N, 1, 1, 1)``.

    Raises:
        ValueError: If ``mode`` is unknown or the input is not 4-D.
    """
    if mode not in DEPTH_NORM_MODES:
        raise ValueError(
            f'normalize_depth_tile: mode must be one of {DEPTH_NORM_MODES}, '
            f'got {mode!r}.'
        )
    if lr_depth.dim() != 4:
        raise ValueError(
            'normalize_depth_tile: expected an (N, 1, h, w) tensor, got '
            f'shape {tuple(lr_depth.shape)}.'
        )
    valid = (lr_depth > 0) & torch.isfinite(lr_depth)
    has_valid = valid.flatten(1).any(1).view(-1, 1, 1, 1)
    inf = torch.tensor(float('inf'), device=lr_depth.device)
    high = torch.where(valid, lr_depth, -inf).amax(dim=(1, 2, 3), keepdim=True)
    high = torch.where(has_valid, high, torch.ones_like(high))
    if mode == 'max':
        low = torch.zeros_like(high)
    else:
        low = torch.where(valid, lr_depth, inf).amin(
            dim=(1, 2, 3), keepdim=True
        )
        low = torch.where(has_valid, low, torch.zeros_like(low))
        high = torch.where(high > low, high, low + 1)
    return (lr_depth - low) / (high - low), low, high


def denormalize_depth_tile(
    pred: torch.Tensor, low: torch.Tensor, high: torch.Tensor
) -> torch.Tensor:
    """Inverse of the normalisation: ``pred * (M - m) + m``.

    Args:
        pred (Tensor): ``(N, C, H, W)`` in normalised units.
        low (Tensor): ``m``, broadcastable, e.g. ``(N, 1, 1, 1)``.
        high (Tensor): ``M``, same shape as ``low``.

    Returns:
        Tensor: ``(N, C, H, W)`` in metres.
    """
    return pred * (high - low) + low


__all__ = [
    'DEPTH_NORM_MODES',
    'denormalize_depth',
    'denormalize_depth_tile',
    'depth_norm_range',
    'normalize_depth_tile',
]
