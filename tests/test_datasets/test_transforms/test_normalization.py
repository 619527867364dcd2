"""NormalizeDepth: per-image min-max / max normalisation of the DSR input."""

import numpy as np
import pytest
import torch

from mmdepthsr.datasets.transforms import NormalizeDepth, PackDenseInputs
from mmdepthsr.structures.depth_norm import normalize_depth_tile


def _results():
    gt = np.array(
        [[0.0, 2.0, 4.0], [6.0, 0.0, 10.0]], np.float32
    )  # valid: 2, 4, 6, 10 (zeros are holes)
    lr = np.array([[3.0, 8.0]], np.float32)
    return dict(gt_depth=gt, lr_depth=lr, img_path='scene/0007.png')


def test_minmax_from_gt_with_hand_values():
    out = NormalizeDepth()(_results())
    # m = 2, M = 10: (3 - 2) / 8 = 0.125, (8 - 2) / 8 = 0.75
    np.testing.assert_array_equal(
        out['lr_depth'], np.array([[0.125, 0.75]], np.float32)
    )
    assert out['lr_depth'].dtype == np.float32
    assert out['depth_norm_min'] == 2.0
    assert out['depth_norm_max'] == 10.0
    assert isinstance(out['depth_norm_min'], float)
    # gt_depth stays in metres
    np.testing.assert_array_equal(out['gt_depth'], _results()['gt_depth'])


def test_max_mode_divides_by_the_maximum():
    out = NormalizeDepth(mode='max')(_results())
    np.testing.assert_array_equal(
        out['lr_depth'], np.array([[0.3, 0.8]], np.float32)
    )
    assert out['depth_norm_min'] == 0.0
    assert out['depth_norm_max'] == 10.0


def test_stats_from_lr_depth_and_several_keys():
    results = _results()
    results['lr_up'] = np.array([[5.0, 3.0, 8.0]], np.float32)
    out = NormalizeDepth(stats_key='lr_depth', keys=('lr_depth', 'lr_up'))(
        results
    )
    # m = 3, M = 8 from lr_depth
    np.testing.assert_allclose(out['lr_depth'], [[0.0, 1.0]])
    np.testing.assert_allclose(out['lr_up'], [[0.4, 0.0, 1.0]])
    assert (out['depth_norm_min'], out['depth_norm_max']) == (3.0, 8.0)


def test_holes_follow_the_formula_and_inverse_restores_metres():
    results = _results()
    results['lr_depth'] = np.array([[0.0, 6.0]], np.float32)
    out = NormalizeDepth(keys='lr_depth')(results)
    # a hole maps to -m / (M - m) = -0.25 in minmax mode
    np.testing.assert_allclose(out['lr_depth'], [[-0.25, 0.5]])
    m, big_m = out['depth_norm_min'], out['depth_norm_max']
    np.testing.assert_allclose(out['lr_depth'] * (big_m - m) + m, [[0, 6]])


def test_pack_carries_the_statistics():
    results = _results()
    results['img'] = np.zeros((2, 3, 3), np.uint8)
    packed = PackDenseInputs()(NormalizeDepth()(results))
    meta = packed['data_samples'].metainfo
    assert (meta['depth_norm_min'], meta['depth_norm_max']) == (2.0, 10.0)
    np.testing.assert_allclose(
        packed['data_samples'].lr_depth.data.numpy(), [[[0.125, 0.75]]]
    )


def test_errors_name_the_sample():
    results = _results()
    results['gt_depth'] = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match=r'0007\.png.*no valid'):
        NormalizeDepth()(results)
    results['gt_depth'] = np.array([[0, 5.0], [5.0, 0]], np.float32)
    with pytest.raises(ValueError, match=r'0007\.png.*constant'):
        NormalizeDepth()(results)
    # a constant map is fine when m = 0
    out = NormalizeDepth(mode='max')(results)
    np.testing.assert_allclose(out['lr_depth'], [[0.6, 1.6]])
    results = _results()
    results['gt_depth'][0, 0] = np.nan
    with pytest.raises(ValueError, match=r'0007\.png.*NaN'):
        NormalizeDepth()(results)
    with pytest.raises(KeyError, match=r'0007\.png.*lr_up'):
        NormalizeDepth(keys='lr_up')(_results())
    with pytest.raises(KeyError, match='gt_depth'):
        NormalizeDepth()(dict(lr_depth=np.ones((1, 1)), img_path='a.png'))


def test_fixed_range_is_pmbanet_8bit_scaling():
    # PMBANet feeds 8-bit maps as d / 255; the statistics are not used
    results = dict(
        gt_depth=np.zeros((2, 2), np.float32),
        lr_depth=np.array([[0.0, 51.0, 255.0]], np.float32),
    )
    out = NormalizeDepth(mode='fixed', value_range=(0, 255))(results)
    np.testing.assert_allclose(out['lr_depth'], [[0.0, 0.2, 1.0]])
    assert (out['depth_norm_min'], out['depth_norm_max']) == (0.0, 255.0)


def test_argument_errors_and_repr():
    with pytest.raises(ValueError, match='mode'):
        NormalizeDepth(mode='std')
    with pytest.raises(ValueError, match='metres'):
        NormalizeDepth(keys=('lr_depth', 'gt_depth'))
    with pytest.raises(ValueError, match='needs value_range'):
        NormalizeDepth(mode='fixed')
    with pytest.raises(ValueError, match='min < max'):
        NormalizeDepth(mode='fixed', value_range=(5, 5))
    with pytest.raises(ValueError, match='only used by mode="fixed"'):
        NormalizeDepth(value_range=(0, 255))
    assert repr(NormalizeDepth(mode='max')) == (
        "NormalizeDepth(mode='max', stats_key='gt_depth', "
        "keys=('lr_depth',), value_range=None, degenerate='error', "
        "pixels='valid')"
    )


def test_degenerate_unit_matches_the_tile_rule():
    const = dict(
        gt_depth=np.full((2, 2), 4.25, np.float32),
        lr_depth=np.array([[4.25]], np.float32),
        img_path='wall.png',
    )
    with pytest.raises(ValueError, match='wall.png'):
        NormalizeDepth()(dict(const))
    out = NormalizeDepth(degenerate='unit')(dict(const))
    # constant map: M = m + 1, so the input becomes lr - m = 0
    assert (out['depth_norm_min'], out['depth_norm_max']) == (4.25, 5.25)
    np.testing.assert_array_equal(out['lr_depth'], [[0.0]])
    tile, low, high = normalize_depth_tile(
        torch.tensor([[[[4.25]]]]), mode='minmax'
    )
    assert (low.item(), high.item()) == (4.25, 5.25)
    assert tile.item() == 0.0

    empty = dict(
        gt_depth=np.zeros((2, 2), np.float32),
        lr_depth=np.array([[0.0]], np.float32),
        img_path='hole.png',
    )
    out = NormalizeDepth(mode='max', degenerate='unit')(empty)
    assert (out['depth_norm_min'], out['depth_norm_max']) == (0.0, 1.0)
    with pytest.raises(ValueError, match='degenerate'):
        NormalizeDepth(degenerate='skip')


def test_hr_minmax_preset_counts_the_zeros():
    # the literature's test-time rule: np.min / np.max of the whole HR map,
    # so the hole (0) gives m = 0 (the valid pixels alone give m = 2)
    out = NormalizeDepth(preset='hr_minmax')(_results())
    assert (out['depth_norm_min'], out['depth_norm_max']) == (0.0, 10.0)
    np.testing.assert_array_equal(
        out['lr_depth'], np.array([[0.3, 0.8]], np.float32)
    )
    step = NormalizeDepth(mode='minmax', stats_key='gt_depth', pixels='all')
    assert step.setting == 'hr_minmax'
    out = step(_results())
    assert (out['depth_norm_min'], out['depth_norm_max']) == (0.0, 10.0)
    # without a hole the presets agree with the valid-pixel statistics
    results = _results()
    results['gt_depth'][results['gt_depth'] == 0] = 5.0
    out = NormalizeDepth(preset='hr_minmax')(results)
    assert (out['depth_norm_min'], out['depth_norm_max']) == (2.0, 10.0)


def test_presets_and_setting_names():
    out = NormalizeDepth(preset='lr_max')(_results())
    assert (out['depth_norm_min'], out['depth_norm_max']) == (0.0, 8.0)
    out = NormalizeDepth(preset='lr_minmax')(_results())
    assert (out['depth_norm_min'], out['depth_norm_max']) == (3.0, 8.0)
    assert NormalizeDepth().setting == 'hr_minmax_valid'
    assert NormalizeDepth(mode='max', stats_key='lr_depth').setting == (
        'lr_max'
    )
    fixed = NormalizeDepth(mode='fixed', value_range=(0, 255))
    assert fixed.setting == 'fixed'
    with pytest.raises(ValueError, match='preset must be one of'):
        NormalizeDepth(preset='minmax')
    with pytest.raises(ValueError, match='leave them at their defaults'):
        NormalizeDepth(preset='hr_minmax', mode='max')
    with pytest.raises(ValueError, match='pixels must be one of'):
        NormalizeDepth(pixels='finite')
    # inference (no ground truth) swaps the source, keeps mode and pixels
    cfg, note = NormalizeDepth.inference_cfg(
        dict(type='NormalizeDepth', preset='hr_minmax')
    )
    assert cfg == dict(
        type='NormalizeDepth',
        mode='minmax',
        stats_key='lr_depth',
        pixels='all',
    )
    assert 'lr_depth' in note


def test_dsr_input_protocol_names_the_setting():
    from mmdepthsr.datasets.transforms import dsr_input_protocol

    pipeline = [
        dict(type='LoadDepth', depth_scale=1.0),
        dict(type='CropToMultiple', divisor=8),
        dict(type='GenerateLRDepth', scale_factor=8, method='bicubic_pil'),
        dict(type='NormalizeDepth', preset='hr_minmax'),
    ]
    assert dsr_input_protocol(pipeline, dict(mode='whole')) == dict(
        crop_to_multiple=8,
        degradation='bicubic_pil',
        scale_factor=8,
        normalize='hr_minmax',
        network_input='hr_minmax',
    )
    tiled = dsr_input_protocol(
        pipeline, dict(mode='slide', patch_size=(64, 64), normalize='max')
    )
    assert tiled['normalize'] == 'hr_minmax'
    assert tiled['network_input'].startswith('per_tile_lr_max')
    assert dsr_input_protocol([dict(type='LoadDepth')]) is None
