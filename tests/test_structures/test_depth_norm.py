"""Depth normalisation of DSR inputs and its inverse, by hand values."""

import numpy as np
import pytest
import torch

from mmdepthsr.datasets.transforms import NormalizeDepth, PackDenseInputs
from mmdepthsr.structures import DenseDataSample
from mmdepthsr.structures.depth_norm import (
    denormalize_depth,
    denormalize_depth_values,
    denormalize_with_meta,
    depth_norm_from_meta,
    depth_norm_stats,
    normalize_depth_tile,
    normalize_depth_values,
)


def _sample(**meta):
    return DenseDataSample(metainfo=meta)


def test_normalize_depth_tile_hand_values():
    # Sample 0 has a hole (0) and a NaN: neither counts for the statistics.
    lr = torch.tensor(
        [[[[0.0, 2.0], [4.0, float('nan')]]], [[[1.0, 3.0], [5.0, 9.0]]]]
    )
    out, low, high = normalize_depth_tile(lr, 'max')
    assert low.flatten().tolist() == [0.0, 0.0]
    assert high.flatten().tolist() == [4.0, 9.0]
    assert out[0, 0, 0].tolist() == [0.0, 0.5]
    assert out[1].flatten().tolist() == pytest.approx([1 / 9, 3 / 9, 5 / 9, 1])
    out, low, high = normalize_depth_tile(lr, 'minmax')
    assert low.flatten().tolist() == [2.0, 1.0]
    assert high.flatten().tolist() == [4.0, 9.0]
    assert out[0, 0, 0].tolist() == [-1.0, 0.0]  # hole: (0 - 2) / 2
    assert out[1].flatten().tolist() == pytest.approx([0, 0.25, 0.5, 1])


def test_normalize_depth_tile_degenerate_tiles_stay_in_metres():
    lr = torch.stack([torch.zeros(1, 2, 2), torch.full((1, 2, 2), 3.0)])
    out, low, high = normalize_depth_tile(lr, 'max')
    assert high.flatten().tolist() == [1.0, 3.0]
    assert torch.equal(out[0], lr[0])
    out, low, high = normalize_depth_tile(lr, 'minmax')
    assert low.flatten().tolist() == [0.0, 3.0]
    assert high.flatten().tolist() == [1.0, 4.0]
    assert torch.equal(out[1], torch.zeros(1, 2, 2))
    with pytest.raises(ValueError, match='mode'):
        normalize_depth_tile(lr, 'median')


@pytest.mark.parametrize('mode', ['max', 'minmax'])
def test_normalize_depth_tile_all_pixels_matches_depth_norm_stats(mode):
    # With a hole, pixels='all' takes m = 0 (minmax) where 'valid' takes 1.
    lr = torch.tensor([[[[0.0, 1.0], [3.0, 5.0]]], [[[0.0, 0.0], [0.0, 0.0]]]])
    out, low, high = normalize_depth_tile(lr, mode, pixels='all')
    for i in range(2):
        stats = depth_norm_stats(
            lr[i].numpy(), mode, degenerate='unit', pixels='all'
        )
        assert (float(low[i]), float(high[i])) == stats
    assert out[0].flatten().tolist() == pytest.approx([0, 0.2, 0.6, 1])
    assert high.flatten().tolist() == [5.0, 1.0]  # all zeros: (0, 1)
    _, valid_low, _ = normalize_depth_tile(lr, mode)
    assert float(valid_low[0]) == (1.0 if mode == 'minmax' else 0.0)
    with pytest.raises(ValueError, match='pixels'):
        normalize_depth_tile(lr, mode, pixels='some')


@pytest.mark.parametrize('mode', ['max', 'minmax'])
def test_tile_round_trip(mode):
    gen = torch.Generator().manual_seed(0)
    lr = 0.3 + 9.0 * torch.rand(3, 1, 5, 7, generator=gen)
    lr[0, 0, 1, 1] = 0.0  # a hole survives the round trip too
    out, low, high = normalize_depth_tile(lr, mode)
    assert float(out.max()) == pytest.approx(1.0)
    back = denormalize_depth_values(out, low, high)
    torch.testing.assert_close(back, lr, atol=1e-6, rtol=0)


def test_denormalize_depth_per_sample_and_identity():
    pred = torch.full((3, 1, 2, 2), 0.5, requires_grad=True)
    samples = [
        _sample(depth_norm_max=4.0),
        _sample(depth_norm_min=2.0, depth_norm_max=6.0),
        _sample(img_path='plain.png'),  # not normalised: identity
    ]
    out = denormalize_depth(pred, samples)
    assert out[:, 0, 0, 0].tolist() == [2.0, 4.0, 0.5]
    out.sum().backward()
    assert pred.grad[:, 0, 0, 0].tolist() == [4.0, 4.0, 1.0]
    plain = torch.ones(1, 1, 2, 2)
    assert denormalize_depth(plain, [_sample()]) is plain
    assert denormalize_depth(plain, None) is plain


def test_denormalize_depth_errors():
    with pytest.raises(ValueError, match='2 data samples for a batch of 1'):
        denormalize_depth(torch.ones(1, 1, 2, 2), [_sample(), _sample()])
    bad = _sample(img_path='bad.png', depth_norm_min=3.0, depth_norm_max=3.0)
    with pytest.raises(ValueError, match='bad.png'):
        denormalize_depth(torch.ones(1, 1, 2, 2), [bad])


@pytest.mark.parametrize('mode', ['max', 'minmax'])
def test_round_trip_through_normalize_depth_transform(mode):
    rng = np.random.default_rng(0)
    lr = rng.uniform(0.5, 8.0, (6, 8)).astype(np.float32)
    results = dict(
        img=np.zeros((12, 16, 3), np.uint8),
        gt_depth=rng.uniform(0.5, 8.0, (12, 16)).astype(np.float32),
        lr_depth=lr.copy(),
    )
    results = NormalizeDepth(mode=mode, stats_key='lr_depth')(results)
    sample = PackDenseInputs()(results)['data_samples']
    assert float(sample.lr_depth.data.max()) == pytest.approx(1.0)
    back = denormalize_depth(sample.lr_depth.data[None], [sample])
    np.testing.assert_allclose(back[0, 0].numpy(), lr, atol=1e-6, rtol=0)
    # The transform's statistics are the tile rule's.
    _, low, high = normalize_depth_tile(torch.from_numpy(lr)[None, None], mode)
    assert sample.metainfo['depth_norm_max'] == pytest.approx(float(high))
    assert sample.metainfo['depth_norm_min'] == pytest.approx(float(low))


def test_depth_norm_stats_hand_values_and_tile_rule():
    depth = np.array([[0.0, 2.0], [3.0, 6.0]])
    assert depth_norm_stats(depth, 'minmax') == (2.0, 6.0)
    assert depth_norm_stats(depth, 'max') == (0.0, 6.0)
    # the degenerate rule is the tile rule
    for mode in ('max', 'minmax'):
        for arr in (np.zeros((2, 2)), np.full((2, 2), 3.0)):
            _, low, high = normalize_depth_tile(
                torch.from_numpy(arr)[None, None], mode
            )
            expected = (float(low), float(high))
            assert depth_norm_stats(arr, mode, 'unit') == expected
    with pytest.raises(ValueError, match='no valid'):
        depth_norm_stats(np.zeros(3))
    with pytest.raises(ValueError, match='constant'):
        depth_norm_stats(np.full(3, 2.0), 'minmax')
    with pytest.raises(ValueError, match='mode'):
        depth_norm_stats(depth, 'fixed')
    with pytest.raises(ValueError, match='degenerate'):
        depth_norm_stats(depth, 'max', 'skip')


def test_depth_norm_stats_all_pixels_count_the_zeros():
    depth = np.array([[0.0, 2.0], [3.0, np.nan]])
    # valid pixels: 2, 3; all finite pixels: 0, 2, 3 (NaN never counts)
    assert depth_norm_stats(depth, 'minmax') == (2.0, 3.0)
    assert depth_norm_stats(depth, 'minmax', pixels='all') == (0.0, 3.0)
    assert depth_norm_stats(depth, 'max', pixels='all') == (0.0, 3.0)
    with pytest.raises(ValueError, match='pixels'):
        depth_norm_stats(depth, 'minmax', pixels='nonzero')


def test_affine_maps_on_arrays_and_tensors():
    arr = np.array([2.0, 4.0, 6.0])
    out = normalize_depth_values(arr, 2.0, 6.0)
    assert out.tolist() == [0.0, 0.5, 1.0]
    assert denormalize_depth_values(out, 2.0, 6.0).tolist() == arr.tolist()
    ten = torch.tensor([2.0, 4.0, 6.0])
    assert normalize_depth_values(ten, 2.0, 6.0).tolist() == [0.0, 0.5, 1.0]


def test_metainfo_range():
    assert depth_norm_from_meta({}) is None
    assert depth_norm_from_meta(dict(depth_norm_max=4)) == (0.0, 4.0)
    meta = dict(depth_norm_min=2, depth_norm_max=6)
    assert depth_norm_from_meta(meta) == (2.0, 6.0)
    lr = np.array([[0.0, 0.5]])
    assert denormalize_with_meta(lr, meta).tolist() == [[2.0, 4.0]]
    assert denormalize_with_meta(lr, {}) is lr
