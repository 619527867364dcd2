"""Depth normalisation of DSR inputs and its inverse: the one definition.

Guided depth super-resolution networks take their depth input in a fixed
range. The NYU v2 protocol of DKN (cvlab-yonsei/dkn), FDSR, DCTNet and
SGNet (yanzq95/SGNet) maps every image to ``[0, 1]`` with its own minimum
and maximum; the grid-patch protocol divides by the patch maximum; PMBANet
(Sunbaoli/PMBANet_DSR) feeds 8-bit maps divided by 255. All of them are the
affine rule

    ``d_norm = (d - m) / (M - m)``

(:func:`normalize_depth_values`; ``'max'`` mode: ``m = 0``), and the
network output goes back to metres by the inverse ``pred * (M - m) + m``
(:func:`denormalize_depth_values`) before any loss or metric.

``m`` and ``M`` come from the valid (finite, ``> 0``) pixels of a map
(:func:`depth_norm_stats` on arrays, :func:`normalize_depth_tile` on
tensor tiles). A degenerate map has the same rule everywhere when it is
kept: no valid pixel gives ``(m, M) = (0, 1)`` and a constant map (in
``'minmax'`` mode) ``M = m + 1``, i.e. the map stays in metres rather than
being divided by zero.

The pipeline transform ``NormalizeDepth`` records ``m`` and ``M`` as
``depth_norm_min`` / ``depth_norm_max`` in each sample's metainfo
(:func:`depth_norm_from_meta` reads them back, :func:`denormalize_with_meta`
applies the inverse to one sample's map); estimators undo it with
:func:`denormalize_depth`, tiled inference normalises every LR tile by its
own statistics with :func:`normalize_depth_tile`. Datasets, models, tools
and the inference API import these functions from here, so that the
pipeline and the model always agree.
"""

from typing import Optional, Sequence, Tuple, TypeVar, Union

import numpy as np
import torch

#: Modes with statistics from the map: ``'max'`` (``m = 0``) and
#: ``'minmax'``. ``NormalizeDepth`` adds ``'fixed'`` (a given range).
DEPTH_NORM_MODES = ('max', 'minmax')

#: Pixels that give the statistics: the valid (``> 0``) ones, or all.
DEPTH_NORM_PIXELS = ('valid', 'all')

#: How a degenerate map is handled: raise, or keep it in metres.
DEGENERATE_POLICIES = ('error', 'unit')

#: A numpy array or a tensor (the affine maps work on both).
ArrayOrTensor = TypeVar('ArrayOrTensor', np.ndarray, torch.Tensor)


def _check_mode(mode: str, owner: str) -> None:
    if mode not in DEPTH_NORM_MODES:
        raise ValueError(
            f'{owner}: mode must be one of {DEPTH_NORM_MODES}, got {mode!r}.'
        )


def normalize_depth_values(
    depth: ArrayOrTensor,
    low: Union[float, ArrayOrTensor],
    high: Union[float, ArrayOrTensor],
) -> ArrayOrTensor:
    """The forward map ``(depth - m) / (M - m)``, on every pixel.

    Holes (0) go through the formula too: with ``m > 0`` a hole becomes
    ``-m / (M - m)``.

    Args:
        depth (np.ndarray | Tensor): Depth of any shape, in metres (or the
            unit ``m`` and ``M`` are in).
        low (float | np.ndarray | Tensor): ``m``, broadcastable.
        high (float | np.ndarray | Tensor): ``M > m``, alike.

    Returns:
        np.ndarray | Tensor: Same shape and type as ``depth``.
    """
    return (depth - low) / (high - low)


def denormalize_depth_values(
    pred: ArrayOrTensor,
    low: Union[float, ArrayOrTensor],
    high: Union[float, ArrayOrTensor],
) -> ArrayOrTensor:
    """The inverse map ``pred * (M - m) + m``.

    Args:
        pred (np.ndarray | Tensor): Normalised depth of any shape, e.g. an
            ``(N, C, H, W)`` network output.
        low (float | np.ndarray | Tensor): ``m``, broadcastable, e.g.
            ``(N, 1, 1, 1)``.
        high (float | np.ndarray | Tensor): ``M``, alike.

    Returns:
        np.ndarray | Tensor: Same shape, in metres.
    """
    return pred * (high - low) + low


def depth_norm_stats(
    depth: np.ndarray,
    mode: str = 'minmax',
    degenerate: str = 'error',
    pixels: str = 'valid',
) -> Tuple[float, float]:
    """``(m, M)`` of the valid (finite, ``> 0``) pixels of a depth map.

    Computed in float64; ``m = 0`` in ``'max'`` mode. With
    ``pixels='all'`` the zeros count too (``np.min`` / ``np.max`` of the
    whole finite map, as the Middlebury / Lu / RGB-D-D test code of DCTNet
    does): a map with a hole then has ``m = 0``.

    Args:
        depth (np.ndarray): Depth map of any shape.
        mode (str): ``'max'`` or ``'minmax'``. Defaults to ``'minmax'``.
        degenerate (str): ``'error'`` raises for a map without a valid
            pixel or a constant one (``M == m``); ``'unit'`` applies the
            rule of the module docstring. Defaults to ``'error'``.
        pixels (str): ``'valid'`` (``> 0``) or ``'all'`` (finite) pixels.
            Defaults to ``'valid'``.

    Returns:
        tuple[float, float]: ``m`` and ``M`` with ``M > m``.

    Raises:
        ValueError: If ``mode`` or ``degenerate`` is unknown, or (with
            ``degenerate='error'``) the map is degenerate; the message says
            which and is meant to follow the name of the map.
    """
    _check_mode(mode, 'depth_norm_stats')
    if degenerate not in DEGENERATE_POLICIES:
        raise ValueError(
            'depth_norm_stats: degenerate must be one of '
            f'{DEGENERATE_POLICIES}, got {degenerate!r}.'
        )
    if pixels not in DEPTH_NORM_PIXELS:
        raise ValueError(
            f'depth_norm_stats: pixels must be one of {DEPTH_NORM_PIXELS}, '
            f'got {pixels!r}.'
        )
    depth = np.asarray(depth, dtype=np.float64)
    keep = np.isfinite(depth)
    if pixels == 'valid':
        keep &= depth > 0
    valid = depth[keep]
    if valid.size == 0:
        if degenerate == 'unit':
            return 0.0, 1.0
        raise ValueError(
            'has no valid (> 0) pixel; cannot normalise its depth.'
        )
    high = float(valid.max())
    low = float(valid.min()) if mode == 'minmax' else 0.0
    if high == low:
        if degenerate == 'unit':
            return low, low + 1.0
        raise ValueError(
            f'is constant ({high}) over its valid pixels, so max == min '
            'and (d - min) / (max - min) is undefined; use mode="max" or '
            'leave the sample out.'
        )
    return low, high


def normalize_depth_tile(
    lr_depth: torch.Tensor, mode: str = 'max', pixels: str = 'valid'
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Normalise each sample of a depth tile by its own statistics.

    ``m`` and ``M`` are the minimum and maximum of the tile's valid pixels
    (finite and ``> 0``; 0 marks missing depth), ``m = 0`` in ``'max'``
    mode; with ``pixels='all'`` every finite pixel counts, zeros included
    (as :func:`depth_norm_stats`). The affine map is applied to every
    pixel, so that :func:`denormalize_depth_values` inverts it exactly
    (missing pixels stay 0 in ``'max'`` mode). Degenerate tiles stay in
    metres (the ``'unit'`` rule of :func:`depth_norm_stats`).

    Args:
        lr_depth (Tensor): ``(N, 1, h, w)`` depth in metres.
        mode (str): ``'max'`` or ``'minmax'``.
        pixels (str): ``'valid'`` (``> 0``) or ``'all'`` (finite) pixels
            give the statistics. Defaults to ``'valid'``.

    Returns:
        tuple[Tensor, Tensor, Tensor]: The normalised tile ``(N, 1, h, w)``
        and ``m``, ``M``, each ``(N, 1, 1, 1)``.

    Raises:
        ValueError: If ``mode`` or ``pixels`` is unknown or the input is
            not 4-D.
    """
    _check_mode(mode, 'normalize_depth_tile')
    if pixels not in DEPTH_NORM_PIXELS:
        raise ValueError(
            'normalize_depth_tile: pixels must be one of '
            f'{DEPTH_NORM_PIXELS}, got {pixels!r}.'
        )
    if lr_depth.dim() != 4:
        raise ValueError(
            'normalize_depth_tile: expected an (N, 1, h, w) tensor, got '
            f'shape {tuple(lr_depth.shape)}.'
        )
    valid = torch.isfinite(lr_depth)
    if pixels == 'valid':
        valid = valid & (lr_depth > 0)
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
    # A constant tile (or, with pixels='all', an all-zero one) keeps M = m + 1
    high = torch.where(high > low, high, low + 1)
    return normalize_depth_values(lr_depth, low, high), low, high


def depth_norm_from_meta(meta: dict) -> Optional[Tuple[float, float]]:
    """The ``(m, M)`` that ``NormalizeDepth`` recorded in a metainfo.

    Args:
        meta (dict): A sample's metainfo (or pipeline results).

    Returns:
        tuple[float, float] | None: ``depth_norm_min`` (0 when missing)
        and ``depth_norm_max``; None when the sample is not normalised (no
        ``depth_norm_max``).
    """
    high = meta.get('depth_norm_max')
    if high is None:
        return None
    return float(meta.get('depth_norm_min', 0.0) or 0.0), float(high)


def denormalize_with_meta(depth: ArrayOrTensor, meta: dict) -> ArrayOrTensor:
    """One sample's normalised depth back in metres.

    Args:
        depth (np.ndarray | Tensor): The sample's depth map, any shape.
        meta (dict): Its metainfo (or pipeline results).

    Returns:
        np.ndarray | Tensor: ``depth * (M - m) + m`` with the recorded
        range; ``depth`` itself when the sample is not normalised.
    """
    recorded = depth_norm_from_meta(meta)
    if recorded is None:
        return depth
    return denormalize_depth_values(depth, *recorded)


def depth_norm_range(
    data_samples: Sequence, like: torch.Tensor
) -> Optional[Tuple[torch.Tensor, torch.Tensor]]:
    """The ``(m, M)`` recorded in each sample's metainfo, batched.

    A sample without ``depth_norm_max`` gets ``(0, 1)`` (identity).

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
        recorded = depth_norm_from_meta(sample.metainfo)
        if recorded is None:
            lows.append(0.0)
            highs.append(1.0)
            continue
        any_norm = True
        low, high = recorded
        if not high > low:
            name = sample.metainfo.get('img_path', f'sample {i}')
            raise ValueError(
                f'denormalize_depth: {name} records '
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

    ``pred * (M - m) + m`` per sample, with the sample's recorded
    ``depth_norm_min`` / ``depth_norm_max``; samples without
    ``depth_norm_max`` are left as they are. Differentiable in ``pred``.

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
    return denormalize_depth_values(pred, *norm)


__all__ = [
    'DEGENERATE_POLICIES',
    'DEPTH_NORM_MODES',
    'DEPTH_NORM_PIXELS',
    'denormalize_depth',
    'denormalize_depth_values',
    'denormalize_with_meta',
    'depth_norm_from_meta',
    'depth_norm_range',
    'depth_norm_stats',
    'normalize_depth_tile',
    'normalize_depth_values',
]
