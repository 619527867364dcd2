"""Grid tiling of images and stitching of tiled predictions.

One grid rule serves training and inference: :func:`grid_positions` gives
the tile offsets along one axis (``0, stride, 2 * stride, ...`` plus a last
tile flush with the far border when the size is not covered exactly), used
by ``GridPatchDataset`` to cut training patches and by
:func:`slide_inference` to tile a whole test image for guided depth
super-resolution.

Blending of overlapping tile outputs (:func:`tile_weights`): every tile
output pixel gets a weight, the stitched output is the weighted mean.

* ``'mean'``: weight 1, the plain average of the overlapping tiles.
* ``'linear'``: the weight grows linearly with the distance from the
  tile's inner edges (``d + 0.5`` for the ``d``-th pixel from the edge), up
  to half the tile size; it is never zero inside the image.
* ``margin``: the first ``margin`` pixels along each inner edge get weight
  0. A tile edge on the image border is not an inner edge: it keeps full
  weight (the whole-image forward pass sees the same border there). A
  fully convolutional network with zero padding and receptive-field radius
  ``r`` computes, at pixels at least ``r`` away from a tile's inner edges,
  exactly what it computes on the whole image, so ``margin >= r`` makes the
  stitched output equal the whole-image output (up to float rounding).
  Every pixel must keep some weight: ``stride <= patch - 2 * margin``.

Several outputs per tile (:func:`slide_inference` with a ``forward_fn``
that returns a dict of ``(N, C, h, w)`` tensors, e.g. the SR depth, the
monocular depth and the segmentation logits of a joint model): every
entry is stitched with the same weights. With per-tile normalisation the
depth-like entries are brought back to metres tile by tile before
stitching; the entries named in ``raw_keys`` (logits, probabilities) are
stitched as the network returns them (the weighted mean of the logits of
overlapping tiles; the class map is the argmax of the stitched logits).
"""

import math
from typing import (
    Callable,
    Dict,
    List,
    Optional,
    Sequence,
    Tuple,
    Union,
)

import torch

from mmdepthsr.structures.depth_norm import (
    DEPTH_NORM_MODES,
    denormalize_depth_values,
    normalize_depth_tile,
)
from mmdepthsr.utils.sizes import IntPair, to_pair

BLEND_MODES = ('mean', 'linear')

TileOutput = Union[torch.Tensor, Dict[str, torch.Tensor]]


def grid_positions(
    size: int, patch: int, stride: Optional[int] = None
) -> List[int]:
    """Offsets of the tiles that cover ``[0, size)`` along one axis.

    ``0, stride, 2 * stride, ...`` while the tile fits, and a last tile at
    ``size - patch`` when that leaves pixels uncovered (it then overlaps its
    neighbour by more than ``patch - stride``). Nothing is left out.

    Args:
        size (int): Image size along the axis.
        patch (int): Tile size, ``1 <= patch <= size``.
        stride (int, optional): Step, ``1 <= stride <= patch``. Defaults to
            ``patch`` (no overlap except for the last tile).

    Returns:
        list[int]: Increasing offsets; the first is 0, the last
        ``size - patch``.

    Raises:
        ValueError: If the tile is larger than the image or the stride
            leaves gaps.

    Examples:
        >>> grid_positions(10, 4)
        [0, 4, 6]
        >>> grid_positions(8, 4, 2)
        [0, 2, 4]
    """
    size, patch = int(size), int(patch)
    stride = patch if stride is None else int(stride)
    if patch < 1 or patch > size:
        raise ValueError(
            f'grid_positions: tile size {patch} must be in 1..{size} (the '
            'image size).'
        )
    if stride < 1 or stride > patch:
        raise ValueError(
            f'grid_positions: stride {stride} must be in 1..{patch} (the '
            'tile size); a larger stride would leave pixels out.'
        )
    positions = list(range(0, size - patch + 1, stride))
    if positions[-1] != size - patch:
        positions.append(size - patch)
    return positions


def tile_weights(
    length: int,
    position: int,
    size: int,
    blend: str = 'mean',
    margin: int = 0,
) -> torch.Tensor:
    """Blending weights of one tile along one axis.

    Args:
        length (int): Tile size.
        position (int): Tile offset in the image.
        size (int): Image size; an edge at 0 or ``size`` is an image border
            and keeps full weight.
        blend (str): ``'mean'`` or ``'linear'``.
        margin (int): Pixels along each inner edge with weight 0.

    Returns:
        Tensor: ``(length,)`` float32 weights.
    """
    if blend not in BLEND_MODES:
        raise ValueError(f'blend must be one of {BLEND_MODES}, got {blend!r}.')
    centre = torch.arange(length, dtype=torch.float64) + 0.5
    dist = torch.full((length,), math.inf, dtype=torch.float64)
    if position > 0:
        dist = torch.minimum(dist, centre)
    if position + length < size:
        dist = torch.minimum(dist, length - centre)
    if blend == 'mean':
        weight = (dist > margin).to(torch.float64)
    else:
        weight = (dist - margin).clamp(min=0.0, max=length / 2)
    return weight.float()


def _axis_weights(
    size: int, patch: int, positions: List[int], blend: str, margin: int
) -> List[torch.Tensor]:
    weights = [tile_weights(patch, p, size, blend, margin) for p in positions]
    total = torch.zeros(size)
    for p, w in zip(positions, weights):
        total[p : p + patch] += w
    if not bool((total > 0).all()):
        uncovered = int((total <= 0).sum())
        raise ValueError(
            f'slide_inference: {uncovered} of {size} pixels get no weight '
            f'(tile {patch}, positions {positions}, margin {margin}); the '
            'overlap must be at least 2 * margin: stride <= patch - '
            '2 * margin.'
        )
    return weights


def _check_tile_output(
    key: Optional[str], pred: torch.Tensor, n: int, patch_hw: Tuple[int, int]
) -> None:
    name = 'the network' if key is None else f'the network output {key!r}'
    if (
        not isinstance(pred, torch.Tensor)
        or pred.dim() != 4
        or pred.shape[0] != n
        or tuple(pred.shape[-2:]) != patch_hw
    ):
        shape = tuple(pred.shape) if isinstance(pred, torch.Tensor) else pred
        raise ValueError(
            f'slide_inference: {name} returned shape {shape} for a tile of '
            f'{(n, *patch_hw)}; expected (N, C, h, w) at the HR tile size.'
        )


def check_tile_batch_size(
    tile_batch_size: Optional[int], name: str = 'tile_batch_size'
) -> None:
    """Raise unless ``tile_batch_size`` is a positive integer or None.

    Args:
        tile_batch_size (int, optional): The value to check.
        name (str): How the error message names it.

    Raises:
        ValueError: If the value is not a positive integer or None.
    """
    if tile_batch_size is not None and (
        isinstance(tile_batch_size, bool)
        or not isinstance(tile_batch_size, int)
        or tile_batch_size < 1
    ):
        raise ValueError(
            f'{name} must be a positive integer or None (all tiles in one '
            f'pass), got {tile_batch_size!r}.'
        )


def _as_dict(
    pred: TileOutput, is_dict: Optional[bool], keys: Optional[set]
) -> Dict[Optional[str], torch.Tensor]:
    """The outputs of one forward pass as a dict (key None for a tensor),
    checked against the kind and keys of the previous passes."""
    if is_dict is not None and isinstance(pred, dict) != is_dict:
        raise ValueError(
            'slide_inference: the network returned a tensor for one '
            'tile and a dict for another.'
        )
    preds = pred if isinstance(pred, dict) else {None: pred}
    if not preds:
        raise ValueError(
            'slide_inference: the network returned an empty dict.'
        )
    if keys is not None and set(preds) != keys:
        raise ValueError(
            'slide_inference: the tiles returned different keys '
            f'{sorted(preds)} and {sorted(keys)}.'
        )
    return preds


def slide_inference(
    forward_fn: Callable[[torch.Tensor, torch.Tensor], TileOutput],
    img: torch.Tensor,
    lr_depth: torch.Tensor,
    patch_size: IntPair,
    stride: Optional[IntPair] = None,
    scale_factor: int = 1,
    normalize: Optional[str] = None,
    blend: str = 'mean',
    margin: int = 0,
    raw_keys: Sequence[str] = (),
    tile_batch_size: Optional[int] = 16,
) -> TileOutput:
    """Run a guided DSR network on batches of tiles and stitch the HR
    outputs.

    The HR image and the LR depth are cut on the same grid (the LR tile of
    the HR box ``(top, left, h, w)`` is ``(top/s, left/s, h/s, w/s)``), so
    tile sizes and strides must be multiples of ``scale_factor``. A tile
    size larger than the image is clamped to the image (one tile along that
    axis). With ``normalize`` each LR tile is divided by its own statistics
    (:func:`~mmdepthsr.structures.depth_norm.normalize_depth_tile`, the
    rule of the training patches; only LR values are used, never the HR
    ground truth) and the tile output is brought back to metres before
    stitching. Overlaps are blended as described in the module docstring.

    The tiles of all images of the batch are cut once into one tensor
    (grid position major: the ``N`` images at the first position, then the
    ``N`` images at the next one), normalised together, and passed to
    ``forward_fn`` in slices of ``tile_batch_size`` tiles. Each output
    slice is weighted and added into the stitched map, one addition per
    grid position that the slice holds. ``tile_batch_size=N`` runs the
    network on the same batches as a tile-by-tile loop over the grid;
    every value of ``tile_batch_size`` stitches the same sums in the same
    order, so the result differs only where the network's arithmetic
    depends on the batch size (float rounding).

    Args:
        forward_fn (Callable): ``forward_fn(img_tiles, lr_tiles)`` with
            ``(B, 3, h, w)`` and ``(B, 1, h/s, w/s)`` returning
            ``(B, C, h, w)``, or a dict of such tensors (the same keys for
            every call; ``C`` may differ between entries). Every tile must
            be processed independently of the others in its batch (a
            network in eval mode).
        img (Tensor): ``(N, 3, H, W)`` guidance image.
        lr_depth (Tensor): ``(N, 1, H/s, W/s)`` LR depth (metres when
            ``normalize`` is set).
        patch_size (int | tuple[int, int]): HR tile ``(h, w)``.
        stride (int | tuple[int, int], optional): HR step; defaults to the
            tile size.
        scale_factor (int): ``s``. Defaults to 1.
        normalize (str, optional): None, ``'max'`` or ``'minmax'``.
        blend (str): ``'mean'`` or ``'linear'``. Defaults to ``'mean'``.
        margin (int): Zero-weight pixels along inner tile edges.
        raw_keys (Sequence[str]): Dict entries that are not depth (e.g.
            ``'seg_logits'``): never de-normalised, stitched as returned.
            Ignored for a tensor output. Defaults to ().
        tile_batch_size (int, optional): Tiles per call of ``forward_fn``
            (``B``, the last call may get fewer); None passes all ``N * T``
            tiles in one call. Memory grows with it. Defaults to 16.

    Returns:
        Tensor | dict[str, Tensor]: ``(N, C, H, W)`` stitched output, or a
        dict with the keys of the tile outputs.

    Raises:
        ValueError: On inconsistent sizes, tiles off the LR grid, a margin
            too large for the overlap, a tile output of the wrong size, or
            a ``tile_batch_size`` that is not a positive integer or None.
    """
    if normalize is not None and normalize not in DEPTH_NORM_MODES:
        raise ValueError(
            'slide_inference: normalize must be None or one of '
            f'{DEPTH_NORM_MODES}, got {normalize!r}.'
        )
    if blend not in BLEND_MODES:
        raise ValueError(
            f'slide_inference: blend must be one of {BLEND_MODES}, got '
            f'{blend!r}.'
        )
    if int(margin) != margin or margin < 0:
        raise ValueError(
            f'slide_inference: margin must be an integer >= 0, got {margin}.'
        )
    check_tile_batch_size(tile_batch_size, 'slide_inference: tile_batch_size')
    s = int(scale_factor)
    if s != scale_factor or s < 1:
        raise ValueError(
            'slide_inference: scale_factor must be a positive integer, got '
            f'{scale_factor}.'
        )
    if img.dim() != 4 or lr_depth.dim() != 4:
        raise ValueError(
            'slide_inference: img and lr_depth must be (N, C, H, W), got '
            f'{tuple(img.shape)} and {tuple(lr_depth.shape)}.'
        )
    n, _, height, width = img.shape
    if (
        lr_depth.shape[0] != n
        or height % s
        or width % s
        or tuple(lr_depth.shape[-2:]) != (height // s, width // s)
    ):
        raise ValueError(
            f'slide_inference: lr_depth {tuple(lr_depth.shape)} is not the '
            f'image {tuple(img.shape)} divided by scale_factor {s}.'
        )
    patch_h, patch_w = to_pair(patch_size, 'slide_inference: patch_size')
    patch_h, patch_w = min(patch_h, height), min(patch_w, width)
    stride_h, stride_w = (
        (patch_h, patch_w)
        if stride is None
        else to_pair(stride, 'slide_inference: stride')
    )
    stride_h, stride_w = min(stride_h, patch_h), min(stride_w, patch_w)
    if any(v % s for v in (patch_h, patch_w, stride_h, stride_w)):
        raise ValueError(
            f'slide_inference: tile {(patch_h, patch_w)} and stride '
            f'{(stride_h, stride_w)} must be multiples of scale_factor {s} '
            'so that every HR tile has an exact LR tile.'
        )
    rows = grid_positions(height, patch_h, stride_h)
    cols = grid_positions(width, patch_w, stride_w)
    row_w = _axis_weights(height, patch_h, rows, blend, margin)
    col_w = _axis_weights(width, patch_w, cols, blend, margin)

    # Grid position t holds tiles t * n ... t * n + n - 1 (the n images).
    hr_boxes = [
        (slice(top, top + patch_h), slice(left, left + patch_w))
        for top in rows
        for left in cols
    ]
    weights = torch.stack(
        [wy[:, None] * wx[None, :] for wy in row_w for wx in col_w]
    ).to(img.device)
    img_tiles = torch.cat([img[..., hy, hx] for hy, hx in hr_boxes])
    if img.is_contiguous(memory_format=torch.channels_last):
        img_tiles = img_tiles.contiguous(memory_format=torch.channels_last)
    lr_tiles = torch.cat(
        [
            lr_depth[
                ...,
                hy.start // s : hy.stop // s,
                hx.start // s : hx.stop // s,
            ]
            for hy, hx in hr_boxes
        ]
    )
    if normalize is not None:
        lr_tiles, low, high = normalize_depth_tile(lr_tiles, normalize)
    num_tiles = lr_tiles.shape[0]
    step = num_tiles if tile_batch_size is None else tile_batch_size

    raw_keys = tuple(raw_keys)
    out: Optional[Dict[Optional[str], torch.Tensor]] = None
    is_dict: Optional[bool] = None
    for start in range(0, num_tiles, step):
        stop = min(start + step, num_tiles)
        pred = forward_fn(img_tiles[start:stop], lr_tiles[start:stop])
        preds = _as_dict(pred, is_dict, None if out is None else set(out))
        is_dict = isinstance(pred, dict)
        for key, value in preds.items():
            _check_tile_output(key, value, stop - start, (patch_h, patch_w))
            if normalize is not None and key not in raw_keys:
                value = denormalize_depth_values(
                    value, low[start:stop], high[start:stop]
                )
            if out is None:
                # The weights take the dtype of the first output (the
                # stitched weight sum below is built from them).
                weights = weights.to(value)
                out = {}
            if key not in out:
                out[key] = value.new_zeros((n, value.shape[1], height, width))
            # The tiles [first, last) of this slice share grid position t.
            first = start
            while first < stop:
                t = first // n
                last = min(stop, (t + 1) * n)
                hy, hx = hr_boxes[t]
                out[key][first - t * n : last - t * n, :, hy, hx] += value[
                    first - start : last - start
                ] * weights[t].to(value)
                first = last
    weight_sum = img.new_zeros((1, 1, height, width), dtype=torch.float32)
    for (hy, hx), weight in zip(hr_boxes, weights):
        weight_sum[..., hy, hx] += weight.to(weight_sum)
    # The per-axis check above guarantees this; kept as the invariant that
    # every HR pixel is covered by at least one weighted tile.
    assert bool((weight_sum > 0).all()), 'slide_inference: uncovered pixels'
    stitched = {k: v / weight_sum.to(v) for k, v in out.items()}
    return stitched if is_dict else stitched[None]


__all__ = [
    'BLEND_MODES',
    'check_tile_batch_size',
    'grid_positions',
    'slide_inference',
    'tile_weights',
]
