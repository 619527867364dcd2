"""Seam statistic of tiled predictions on hand-made maps and on maps
stitched by slide_inference."""

import math

import numpy as np
import pytest
import torch

from mmdepthsr.models.utils import (
    SeamAccumulator,
    grid_positions,
    seam_masks,
    seam_ratio,
    seam_stats,
    slide_inference,
    slide_tile_boxes,
)


def test_boxes_follow_the_slide_grid():
    boxes = slide_tile_boxes((240, 320), (64, 64))
    assert len(boxes) == 4 * 5
    assert sorted({b[0] for b in boxes}) == [0, 64, 128, 176]
    assert sorted({b[1] for b in boxes}) == [0, 64, 128, 192, 256]
    assert all(b[2] - b[0] == 64 and b[3] - b[1] == 64 for b in boxes)
    # stride and clamping as in slide_inference
    boxes = slide_tile_boxes((240, 320), 64, stride=(32, 48))
    tops = sorted({b[0] for b in boxes})
    lefts = sorted({b[1] for b in boxes})
    assert tops == grid_positions(240, 64, 32)
    assert lefts == grid_positions(320, 64, 48)
    assert slide_tile_boxes((30, 40), (64, 64)) == [(0, 0, 30, 40)]


def test_margin_trims_inner_edges_only():
    boxes = slide_tile_boxes((8, 12), (8, 8), stride=4, margin=1)
    # columns at 0 and 4: the first keeps the left border, the last the
    # right one; rows: one tile, both edges are image borders
    assert boxes == [(0, 0, 8, 7), (0, 5, 8, 12)]


def test_masks_mark_pairs_across_tile_borders():
    horizontal, vertical = seam_masks((6, 8), slide_tile_boxes((6, 8), (3, 4)))
    assert horizontal.shape == (6, 7) and vertical.shape == (5, 8)
    assert np.array_equal(np.nonzero(horizontal.any(0))[0], [3])
    assert horizontal[:, 3].all()
    assert np.array_equal(np.nonzero(vertical.any(1))[0], [2])
    assert vertical[2].all()


def test_step_on_the_border_is_a_seam_and_off_it_is_not():
    boxes = slide_tile_boxes((16, 16), (16, 8))
    rng = np.random.default_rng(0)
    noise = rng.uniform(0.0, 0.01, size=(16, 16))
    step = noise + (np.arange(16) >= 8)[None, :] * 1.0
    result = seam_ratio(step, boxes)
    assert result['ratio'] > 50
    assert result['seam_jump'] > 0.99
    assert result['other_jump'] < 0.01
    # the same step two pixels away from the border: below 1 (the seam
    # pairs are only noise, the other pairs include the step)
    moved = noise + (np.arange(16) >= 10)[None, :] * 1.0
    assert seam_ratio(moved, boxes)['ratio'] < 1.0


@pytest.mark.parametrize('slopes', [(1.0, 1.0), (0.2, 3.0), (0.0, 1.0)])
def test_plane_gives_one_in_any_direction(slopes):
    # the border pairs of a 2 x 3 grid are mostly horizontal pairs
    # (vertical border lines are longer here), so a plane steeper along one
    # axis tests that directions are compared separately
    dy, dx = slopes
    plane = np.add.outer(np.arange(12) * dy, np.arange(24) * dx)
    result = seam_ratio(plane, slide_tile_boxes((12, 24), (6, 8)))
    assert result['ratio'] == pytest.approx(1.0, abs=1e-12)


def test_constant_map_has_ratio_one_and_empty_layout_nan():
    boxes = slide_tile_boxes((8, 8), (4, 4))
    assert seam_ratio(np.full((8, 8), 2.0), boxes)['ratio'] == 1.0
    whole = slide_tile_boxes((8, 8), (8, 8))
    assert math.isnan(seam_ratio(np.random.rand(8, 8), whole)['ratio'])


def test_invalid_pixels_are_left_out():
    boxes = slide_tile_boxes((8, 8), (8, 4))
    ramp = np.tile(np.arange(8.0), (8, 1))
    ramp[0, 4] = np.nan  # next to the border
    ramp[5, 1] = np.inf
    ramp[6, 4] = 100.0  # masked out below
    valid = np.ones((1, 8, 8), dtype=bool)
    valid[0, 6, 4] = False
    result = seam_ratio(torch.from_numpy(ramp)[None], boxes, valid)
    assert result['ratio'] == pytest.approx(1.0)
    stats = seam_stats(ramp, boxes, valid)
    assert stats['seam_count_h'] == 8 - 2  # rows 0 and 6 lose their pair
    assert stats['seam_count_v'] == 0
    # vertical pairs: 7 x 8 minus those touching (0,4), (5,1), (6,4)
    assert stats['other_count_v'] == 56 - 1 - 2 - 2


def test_accumulator_pools_pairs():
    boxes = slide_tile_boxes((8, 8), (4, 4))
    rng = np.random.default_rng(1)
    maps = [rng.normal(size=(8, 8)), rng.normal(size=(8, 8)) * 5]
    acc = SeamAccumulator()
    for m in maps:
        acc.add(m, boxes)
    total = {}
    for m in maps:
        for key, value in seam_stats(m, boxes).items():
            total[key] = total.get(key, 0) + value
    seam = (total['seam_sum_h'] + total['seam_sum_v']) / (
        total['seam_count_h'] + total['seam_count_v']
    )
    assert acc.result()['seam_jump'] == pytest.approx(seam)
    # the pooled ratio is not the mean of the per-map ratios in general
    assert acc.result()['ratio'] != pytest.approx(
        np.mean([seam_ratio(m, boxes)['ratio'] for m in maps])
    )


@pytest.mark.parametrize(
    'stride, margin', [(None, 0), ((6, 8), 0), ((6, 8), 2), ((4, 4), 1)]
)
def test_masks_are_where_slide_inference_changes_tiles(stride, margin):
    # every tile returns its own random constant (tiles may come batched):
    # the stitched map changes exactly between pixels made from different
    # sets of tiles
    gen = torch.Generator().manual_seed(0)

    def forward_fn(img, lr):
        const = torch.rand((img.shape[0], 1, 1, 1), generator=gen)
        return const * torch.ones_like(img[:, :1])

    img = torch.zeros(1, 3, 20, 28)
    lr = torch.ones(1, 1, 20, 28)
    out = slide_inference(
        forward_fn,
        img,
        lr,
        patch_size=(12, 16),
        stride=stride,
        blend='mean',
        margin=margin,
    )[0, 0].numpy()
    horizontal, vertical = seam_masks(
        out.shape, slide_tile_boxes(out.shape, (12, 16), stride, margin)
    )
    assert np.array_equal(horizontal, out[:, 1:] != out[:, :-1])
    assert np.array_equal(vertical, out[1:, :] != out[:-1, :])


def test_per_tile_scale_errors_seam_unless_blended():
    # a network that is right up to a per-tile scale error (as a monocular
    # branch scaled by each tile's LR maximum) on a smooth depth ramp; the
    # image carries the true depth
    height, width = 32, 48
    depth = torch.linspace(1.0, 3.0, width).repeat(height, 1)
    depth = (depth + torch.linspace(0.0, 0.5, height)[:, None])[None, None]
    gen = torch.Generator().manual_seed(0)

    def forward_fn(img, lr):
        error = torch.randn((img.shape[0], 1, 1, 1), generator=gen)
        return img[:, :1] * (1 + 0.05 * error)

    img = depth.repeat(1, 3, 1, 1)
    lr = depth[..., ::2, ::2]
    hard = slide_inference(forward_fn, img, lr, 16, scale_factor=2)
    blended = slide_inference(
        forward_fn, img, lr, 16, stride=8, scale_factor=2, blend='linear'
    )
    hard_ratio = seam_ratio(hard[0], slide_tile_boxes((32, 48), 16))
    soft_ratio = seam_ratio(blended[0], slide_tile_boxes((32, 48), 16, 8))
    assert hard_ratio['ratio'] > 2
    assert soft_ratio['ratio'] < 1.2
