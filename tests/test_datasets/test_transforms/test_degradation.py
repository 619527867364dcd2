"""GenerateLRDepth reproduces the DSR degradation protocols."""

import cv2
import numpy as np
import pytest
from PIL import Image

from mmdepthsr.datasets.transforms import GenerateLRDepth


@pytest.fixture
def depth():
    rng = np.random.default_rng(0)
    return rng.uniform(0.5, 10.0, (16, 24)).astype(np.float32)


def test_bicubic_pil_equals_a_direct_pil_call(depth):
    out = GenerateLRDepth(scale_factor=4)(dict(gt_depth=depth.copy()))
    pil = Image.fromarray(depth)
    assert pil.mode == 'F'
    direct = np.asarray(pil.resize((6, 4), Image.BICUBIC))
    assert out['lr_depth'].shape == (4, 6)
    assert out['lr_depth'].dtype == np.float32
    np.testing.assert_array_equal(out['lr_depth'], direct)
    assert out['scale_factor'] == 4
    np.testing.assert_array_equal(out['gt_depth'], depth)  # HR untouched


def test_bicubic_cv2_equals_opencv_and_differs_from_pil(depth):
    out = GenerateLRDepth(scale_factor=2, method='bicubic_cv2')(
        dict(gt_depth=depth)
    )
    expected = cv2.resize(depth, (12, 8), interpolation=cv2.INTER_CUBIC)
    np.testing.assert_array_equal(out['lr_depth'], expected)
    pil = GenerateLRDepth(scale_factor=2)(dict(gt_depth=depth))['lr_depth']
    # antialiased Keys a = -0.5 vs plain a = -0.75: never mix the two
    assert np.abs(pil - expected).max() > 0.1


def test_nearest_phase():
    depth = np.arange(16 * 24, dtype=np.float32).reshape(16, 24) + 1
    lr = GenerateLRDepth(4, method='nearest')(dict(gt_depth=depth))
    # LR pixel i covers HR pixels 4 i .. 4 i + 3: sample 4 i + 2
    np.testing.assert_array_equal(lr['lr_depth'], depth[2::4, 2::4])
    assert lr['lr_depth'][0, 0] == depth[2, 2] == 2 * 24 + 3
    lr = GenerateLRDepth(3, method='nearest')(dict(gt_depth=depth[:15]))
    np.testing.assert_array_equal(lr['lr_depth'], depth[1:15:3, 1::3])
    lr = GenerateLRDepth(4, method='nearest', nearest_offset=3)(
        dict(gt_depth=depth)
    )
    np.testing.assert_array_equal(lr['lr_depth'], depth[3::4, 3::4])


@pytest.mark.parametrize('method', ['bicubic_pil', 'bicubic_cv2', 'nearest'])
def test_constant_depth_stays_constant(method):
    depth = np.full((8, 12), 3.25, np.float32)
    lr = GenerateLRDepth(4, method=method)(dict(gt_depth=depth))['lr_depth']
    assert lr.shape == (2, 3)
    np.testing.assert_allclose(lr, 3.25, rtol=1e-6)


def test_holes_are_blended_by_bicubic_and_kept_by_nearest():
    depth = np.full((16, 16), 2.0, np.float32)
    depth[4:8, 4:8] = 0  # exactly LR pixel (1, 1) at scale 4
    pil = GenerateLRDepth(4)(dict(gt_depth=depth))['lr_depth']
    assert 0 < pil[1, 1] < 1.0  # averaged with its neighbours
    assert pil[0, 0] < 2.0  # the neighbours are pulled down too
    near = GenerateLRDepth(4, method='nearest')(dict(gt_depth=depth))
    assert near['lr_depth'][1, 1] == 0
    assert (np.delete(near['lr_depth'].ravel(), 5) == 2.0).all()


def test_custom_keys_and_hx_wx1_input(depth):
    out = GenerateLRDepth(2, key='raw', out_key='lr_raw')(
        dict(raw=depth[..., None])
    )
    assert out['lr_raw'].shape == (8, 12)


def test_errors_and_repr(depth):
    with pytest.raises(
        ValueError, match=r'd_07\.png.*crop to a multiple of 5'
    ):
        GenerateLRDepth(5)(dict(gt_depth=depth, depth_path='d_07.png'))
    with pytest.raises(KeyError, match='gt_depth'):
        GenerateLRDepth(2)(dict(img_path='x.png'))
    with pytest.raises(ValueError, match='method'):
        GenerateLRDepth(2, method='bilinear')
    with pytest.raises(ValueError, match='positive integer'):
        GenerateLRDepth(2.5)
    with pytest.raises(ValueError, match='nearest_offset'):
        GenerateLRDepth(4, nearest_offset=4)
    assert repr(GenerateLRDepth(8, method='nearest')) == (
        "GenerateLRDepth(scale_factor=8, method='nearest', key='gt_depth', "
        "out_key='lr_depth', nearest_offset=4)"
    )


def _step_map(low, high):
    # 4 x 8, constant along columns: every row is low x4 then high x4
    row = np.array([low] * 4 + [high] * 4, np.float32)
    return np.tile(row, (4, 1))


def test_bicubic_cv2_uint8_hand_values_and_difference_from_float():
    # At scale 2, LR pixel i samples HR x = 2 i + 0.5: Keys a = -0.75 taps
    # (-0.09375, 0.59375, 0.59375, -0.09375) on HR columns 2i-1 .. 2i+2.
    # Pixel 1: 10 * (-0.09375 + 0.59375 + 0.59375) - 20 * 0.09375 = 9.0625
    # Pixel 2: -10 * 0.09375 + 20 * 1.09375 = 20.9375
    depth = _step_map(10, 20)
    out = GenerateLRDepth(2, method='bicubic_cv2_uint8')(
        dict(gt_depth=depth.copy())
    )
    assert out['lr_depth'].dtype == np.float32
    np.testing.assert_array_equal(out['lr_depth'], [[10, 9, 21, 20]] * 2)
    flt = GenerateLRDepth(2, method='bicubic_cv2')(dict(gt_depth=depth))
    np.testing.assert_allclose(
        flt['lr_depth'], [[10, 9.0625, 20.9375, 20]] * 2, atol=1e-5
    )
    # a 0 -> 255 step: the float path overshoots, 8 bits saturate
    depth = _step_map(0, 255)
    out = GenerateLRDepth(2, method='bicubic_cv2_uint8')(dict(gt_depth=depth))
    np.testing.assert_array_equal(out['lr_depth'], [[0, 0, 255, 255]] * 2)
    flt = GenerateLRDepth(2, method='bicubic_cv2')(dict(gt_depth=depth))
    np.testing.assert_allclose(
        flt['lr_depth'][0], [0, -23.90625, 278.90625, 255], atol=1e-4
    )


def test_bicubic_cv2_uint8_equals_opencv_on_uint8():
    rng = np.random.default_rng(1)
    disp = rng.integers(0, 256, (32, 48)).astype(np.uint8)
    out = GenerateLRDepth(4, method='bicubic_cv2_uint8')(
        dict(gt_depth=disp.astype(np.float32))
    )
    expected = cv2.resize(disp, (12, 8), interpolation=cv2.INTER_CUBIC)
    np.testing.assert_array_equal(out['lr_depth'], expected)
    flt = GenerateLRDepth(4, method='bicubic_cv2')(
        dict(gt_depth=disp.astype(np.float32))
    )
    assert not np.array_equal(flt['lr_depth'], out['lr_depth'])


@pytest.mark.parametrize('bad', [3.5, -1.0, 256.0, np.nan])
def test_bicubic_cv2_uint8_rejects_non_8bit_values(bad):
    depth = np.full((8, 8), 7.0, np.float32)
    depth[3, 3] = bad
    with pytest.raises(ValueError, match=r'integers in 0\.\.255.*d_3\.png'):
        GenerateLRDepth(2, method='bicubic_cv2_uint8')(
            dict(gt_depth=depth, depth_path='d_3.png')
        )


@pytest.mark.parametrize('scale', [4, 8, 16])
def test_pil_bicubic_commutes_with_minmax_normalisation(scale):
    """NYU: LR from metres then normalised == LR from normalised depth.

    The literature (DKN, SGNet) normalises the HR depth with its min/max
    and then resizes with PIL; the pipelines resize in metres and normalise
    afterwards. PIL's float bicubic weights sum to one, so the two agree
    up to float32 rounding.
    """
    rng = np.random.default_rng(scale)
    y, x = np.mgrid[0:96, 0:128].astype(np.float32)
    depth = 0.7 + 4.0 * (x / 128) + 2.0 * np.sin(y / 9.0) ** 2
    depth += rng.normal(0, 0.05, depth.shape).astype(np.float32)
    depth[40:60, 50:80] += 2.5  # an object with sharp edges
    depth = depth.astype(np.float32)
    low, high = float(depth.min()), float(depth.max())

    in_metres = GenerateLRDepth(scale)(dict(gt_depth=depth))['lr_depth']
    ours = (in_metres.astype(np.float64) - low) / (high - low)
    normalised = ((depth - low) / (high - low)).astype(np.float32)
    literature = np.asarray(
        Image.fromarray(normalised).resize(
            (128 // scale, 96 // scale), Image.BICUBIC
        )
    )
    assert np.abs(ours - literature).max() < 1e-5
