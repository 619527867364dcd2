"""Seam statistic of tiled predictions.

A map stitched from tiles (:func:`~mmdepthsr.models.utils.slide_inference`)
can jump where one tile's contribution starts or ends: the tiles see
different context near their edges and, with per-tile normalisation,
different scales. The seam statistic compares the jumps there with the
jumps everywhere else:

* The **tile layout** is the list of boxes ``(top, left, bottom, right)``
  (half-open) where each tile contributes to the stitched map, i.e. has
  non-zero blending weight (:func:`slide_tile_boxes`: the tile minus its
  ``margin`` along inner edges).
* A pair of horizontally or vertically adjacent pixels **straddles a
  seam** when some box contains one of the two pixels and not the other,
  i.e. when the two pixels are not made from the same set of tiles. For
  tiles that do not overlap these are the pairs across the tile borders;
  with overlapping tiles every tile edge inside the image is a seam line.
* A pair is **valid** when both pixels are finite (and inside ``valid``
  when a mask is given).
* ``seam_jump`` is the mean of ``|a - b|`` over the valid pairs that
  straddle a seam; ``other_jump`` is the mean over all other valid pairs
  of the same direction, weighted like the seam pairs (horizontal and
  vertical pairs are compared separately, so that a map that changes
  faster along one axis is not mistaken for a seamed one);
  ``ratio = seam_jump / other_jump`` (:func:`seam_ratio`). Depth edges of
  the scene are not excluded; they are as likely on a seam as elsewhere
  and average out over many images. A continuous map has a ratio near 1
  (exactly 1 for a plane), a step at every tile border makes it large.

Over a data set the sums and counts are pooled before dividing
(:func:`seam_stats` gives them for one map, :class:`SeamAccumulator` adds
them up), so every pixel pair has the same weight.
"""

from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from mmdepthsr.utils.sizes import IntPair, to_pair

from .tiling import grid_positions

#: A tile's contributing region ``(top, left, bottom, right)``, half-open.
Box = Tuple[int, int, int, int]


def _axis_spans(
    size: int, patch: int, stride: Optional[int], margin: int
) -> List[Tuple[int, int]]:
    patch = min(int(patch), size)
    stride = patch if stride is None else min(int(stride), patch)
    spans = []
    for start in grid_positions(size, patch, stride):
        end = start + patch
        lo = start + margin if start > 0 else start
        hi = end - margin if end < size else end
        spans.append((lo, hi))
    return spans


def slide_tile_boxes(
    img_shape: IntPair,
    patch_size: IntPair,
    stride: Optional[IntPair] = None,
    margin: int = 0,
) -> List[Box]:
    """The regions the tiles of :func:`slide_inference` contribute to.

    Same grid as ``slide_inference`` (tile sizes clamped to the image,
    :func:`~mmdepthsr.models.utils.grid_positions` per axis); a ``margin``
    removes that many pixels along every inner tile edge (the blending
    weight is zero there), image borders are kept.

    Args:
        img_shape (int | tuple[int, int]): HR ``(H, W)``.
        patch_size (int | tuple[int, int]): HR tile ``(h, w)``.
        stride (int | tuple[int, int], optional): HR step; defaults to the
            tile size.
        margin (int): Zero-weight pixels along inner tile edges.

    Returns:
        list[tuple[int, int, int, int]]: ``(top, left, bottom, right)`` of
        every tile, half-open, row-major.

    Examples:
        >>> slide_tile_boxes((4, 6), (4, 4))
        [(0, 0, 4, 4), (0, 2, 4, 6)]
    """
    height, width = to_pair(img_shape, 'slide_tile_boxes: img_shape')
    patch_h, patch_w = to_pair(patch_size, 'slide_tile_boxes: patch_size')
    stride_h, stride_w = (
        (None, None)
        if stride is None
        else to_pair(stride, 'slide_tile_boxes: stride')
    )
    rows = _axis_spans(height, patch_h, stride_h, int(margin))
    cols = _axis_spans(width, patch_w, stride_w, int(margin))
    return [(t, lft, b, r) for t, b in rows for lft, r in cols]


def seam_masks(
    shape: IntPair, boxes: Sequence[Box]
) -> Tuple[np.ndarray, np.ndarray]:
    """Which adjacent pixel pairs straddle a seam of the tile layout.

    Args:
        shape (int | tuple[int, int]): Map ``(H, W)``.
        boxes (Sequence[tuple]): ``(top, left, bottom, right)`` per tile.

    Returns:
        tuple[np.ndarray, np.ndarray]: Boolean ``(H, W - 1)`` for the pairs
        ``(y, x), (y, x + 1)`` and ``(H - 1, W)`` for ``(y, x), (y + 1, x)``.
    """
    height, width = to_pair(shape, 'seam_masks: shape')
    horizontal = np.zeros((height, width - 1), dtype=bool)
    vertical = np.zeros((height - 1, width), dtype=bool)
    for top, left, bottom, right in boxes:
        inside = np.zeros((height, width), dtype=bool)
        inside[top:bottom, left:right] = True
        horizontal |= inside[:, 1:] != inside[:, :-1]
        vertical |= inside[1:, :] != inside[:-1, :]
    return horizontal, vertical


def _as_2d(array, name: str) -> np.ndarray:
    if isinstance(array, torch.Tensor):
        array = array.detach().cpu().numpy()
    array = np.asarray(array)
    if array.ndim == 3 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 2:
        raise ValueError(
            f'seam_stats: {name} must be (H, W) or (1, H, W), got shape '
            f'{array.shape}.'
        )
    return array


def seam_stats(pred, boxes: Sequence[Box], valid=None) -> Dict[str, float]:
    """Sums and counts of the adjacent-pixel jumps of one map.

    Args:
        pred (np.ndarray | Tensor): ``(H, W)`` or ``(1, H, W)`` map.
        boxes (Sequence[tuple]): The tile layout (:func:`slide_tile_boxes`).
        valid (np.ndarray | Tensor, optional): Boolean mask of the pixels
            to use (besides being finite).

    Returns:
        dict: ``seam_sum_h``, ``seam_count_h``, ``other_sum_h``,
        ``other_count_h`` (sum of ``|a - b|`` and number of the valid
        horizontal pairs on and off the seams) and the same four for the
        vertical pairs (``_v``).
    """
    pred = _as_2d(pred, 'pred').astype(np.float64)
    ok = np.isfinite(pred)
    if valid is not None:
        valid = _as_2d(valid, 'valid')
        if valid.shape != pred.shape:
            raise ValueError(
                f'seam_stats: valid {valid.shape} and pred {pred.shape} '
                'differ in shape.'
            )
        ok &= valid.astype(bool)
    on_h, on_v = seam_masks(pred.shape, boxes)
    stats = _empty_stats()
    for axis, diff, pair_ok, on in (
        ('h', pred[:, 1:] - pred[:, :-1], ok[:, 1:] & ok[:, :-1], on_h),
        ('v', pred[1:, :] - pred[:-1, :], ok[1:, :] & ok[:-1, :], on_v),
    ):
        jump = np.abs(np.where(pair_ok, diff, 0.0))
        stats[f'seam_sum_{axis}'] += float(jump[on & pair_ok].sum())
        stats[f'seam_count_{axis}'] += int((on & pair_ok).sum())
        stats[f'other_sum_{axis}'] += float(jump[~on & pair_ok].sum())
        stats[f'other_count_{axis}'] += int((~on & pair_ok).sum())
    return stats


def _empty_stats() -> Dict[str, float]:
    return {
        f'{kind}_{what}_{axis}': 0
        for kind in ('seam', 'other')
        for what in ('sum', 'count')
        for axis in ('h', 'v')
    }


def _ratio(stats: Dict[str, float]) -> Dict[str, float]:
    seam_sum, seam_count, expected = 0.0, 0, 0.0
    for axis in ('h', 'v'):
        count = stats[f'seam_count_{axis}']
        if count == 0:
            continue
        if stats[f'other_count_{axis}'] == 0:
            nan = float('nan')
            return dict(seam_jump=nan, other_jump=nan, ratio=nan)
        seam_sum += stats[f'seam_sum_{axis}']
        seam_count += count
        expected += (
            count * stats[f'other_sum_{axis}'] / stats[f'other_count_{axis}']
        )
    if seam_count == 0:
        nan = float('nan')
        return dict(seam_jump=nan, other_jump=nan, ratio=nan)
    seam, other = seam_sum / seam_count, expected / seam_count
    if other == 0:
        ratio = 1.0 if seam == 0 else float('inf')
    else:
        ratio = seam / other
    return dict(seam_jump=seam, other_jump=other, ratio=ratio)


def seam_ratio(pred, boxes: Sequence[Box], valid=None) -> Dict[str, float]:
    """The seam statistic of one map.

    Args:
        pred (np.ndarray | Tensor): ``(H, W)`` or ``(1, H, W)`` map.
        boxes (Sequence[tuple]): The tile layout (:func:`slide_tile_boxes`).
        valid (np.ndarray | Tensor, optional): Pixels to use.

    Returns:
        dict: ``seam_jump`` (mean ``|a - b|`` of the valid adjacent pairs
        on the seams), ``other_jump`` (the same for the other pairs,
        direction by direction, weighted like the seam pairs) and
        ``ratio`` (their quotient; NaN without valid seam pairs or without
        other pairs of a direction that has seam pairs, 1 for a constant
        map).

    Examples:
        >>> import numpy as np
        >>> step = np.repeat([[0.0] * 4 + [1.0] * 4], 3, axis=0)
        >>> boxes = slide_tile_boxes((3, 8), (3, 4))
        >>> seam_ratio(step, boxes)['ratio']
        inf
        >>> ramp = np.add.outer(np.arange(3.0), np.arange(8.0) * 0.5)
        >>> seam_ratio(ramp, boxes)['ratio']
        1.0
    """
    return _ratio(seam_stats(pred, boxes, valid))


class SeamAccumulator:
    """Pools :func:`seam_stats` over many maps (the ratio of the pooled
    means, each valid pixel pair weighted alike)."""

    def __init__(self):
        self.stats = _empty_stats()

    def add(self, pred, boxes: Sequence[Box], valid=None) -> None:
        """Add one map (arguments as :func:`seam_stats`)."""
        for key, value in seam_stats(pred, boxes, valid).items():
            self.stats[key] += value

    def result(self) -> Dict[str, float]:
        """``seam_jump``, ``other_jump`` and ``ratio`` of the pooled
        pairs (as :func:`seam_ratio`)."""
        return _ratio(self.stats)


__all__ = [
    'SeamAccumulator',
    'seam_masks',
    'seam_ratio',
    'seam_stats',
    'slide_tile_boxes',
]
