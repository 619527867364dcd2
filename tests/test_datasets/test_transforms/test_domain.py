import numpy as np
import pytest

from mmdepthsr.datasets.transforms import (
    GenerateLRDepth,
    RandomDisparityMap,
    RandomGuideShift,
)
from mmdepthsr.datasets.transforms.domain import translate_image


def _plane_depth():
    """z-depth of a tilted plane: 1 / z is affine in the pixel coordinates."""
    rows, cols = np.mgrid[0:32, 0:48].astype(np.float64)
    inv = 0.2 + 0.01 * rows + 0.004 * cols
    return (1.0 / inv).astype(np.float32)


def test_disparity_map_is_quantised_inverse_depth():
    depth = _plane_depth()
    depth[3, 5] = 0.0  # a hole
    np.random.seed(0)
    out = RandomDisparityMap(prob=1.0)(dict(gt_depth=depth.copy()))
    disp = out['gt_depth']
    assert out['depth_representation'] == 'disparity_8bit'
    assert disp.dtype == np.float32 and disp.shape == depth.shape
    assert disp[3, 5] == 0.0
    valid = depth > 0
    z_max = depth[valid].max()
    grey = disp[valid] / (z_max / 255.0)
    # integer grey levels, at least 1 on valid pixels, at most 255
    np.testing.assert_allclose(grey, np.rint(grey), atol=1e-3)
    assert grey.min() >= 1 and grey.max() <= 255
    # near is bright: the nearest pixel has the highest level
    assert grey[np.argmin(depth[valid])] == grey.max()
    # affine in 1 / z up to the rounding: residual of a linear fit <= 0.5
    inv = 1.0 / depth[valid]
    coef = np.polyfit(inv, grey, 1)
    assert np.abs(np.polyval(coef, inv) - grey).max() <= 0.5 + 1e-6
    # the drawn range: hi in [128, 255], lo <= 0.6 hi
    assert 128 <= grey.max() <= 255
    assert grey.min() <= 0.6 * grey.max() + 1


def test_disparity_map_keeps_metric_magnitude_and_feeds_lr():
    depth = _plane_depth()
    np.random.seed(3)
    results = RandomDisparityMap(prob=1.0, high_range=(255, 255))(
        dict(gt_depth=depth.copy())
    )
    # hi = 255 -> the nearest pixel takes the frame's metric maximum
    assert results['gt_depth'].max() == pytest.approx(depth.max(), rel=1e-6)
    results = GenerateLRDepth(scale_factor=8)(results)
    assert results['lr_depth'].shape == (4, 6)


def test_disparity_map_probability_and_validation():
    depth = _plane_depth()
    np.random.seed(1)
    step = RandomDisparityMap(prob=0.0)
    out = step(dict(gt_depth=depth.copy()))
    assert out['depth_representation'] == 'depth'
    np.testing.assert_array_equal(out['gt_depth'], depth)
    np.random.seed(2)
    step = RandomDisparityMap(prob=0.5)
    kinds = [
        step(dict(gt_depth=depth.copy()))['depth_representation']
        for _ in range(200)
    ]
    assert 60 < kinds.count('disparity_8bit') < 140
    with pytest.raises(ValueError, match='prob'):
        RandomDisparityMap(prob=1.5)
    with pytest.raises(ValueError, match='high_range'):
        RandomDisparityMap(high_range=(200, 300))
    bad = depth.copy()
    bad[0, 0] = -1.0
    with pytest.raises(ValueError, match='negative'):
        RandomDisparityMap(prob=1.0)(dict(gt_depth=bad, img_path='x.png'))


def test_translate_image_moves_content_and_repeats_edges():
    img = np.arange(5 * 6 * 3, dtype=np.uint8).reshape(5, 6, 3)
    out = translate_image(img, 2, -1)
    assert out.shape == img.shape and out.dtype == img.dtype
    # out[y, x] = img[y - 2, x + 1] inside
    np.testing.assert_array_equal(out[2:, :5], img[:3, 1:])
    # uncovered rows repeat the first row, the last column the last one
    np.testing.assert_array_equal(out[0, :5], img[0, 1:])
    np.testing.assert_array_equal(out[1, :5], img[0, 1:])
    np.testing.assert_array_equal(out[3, 5], img[1, 5])
    np.testing.assert_array_equal(translate_image(img, 0, 0), img)
    # a 2-D map moves the same way
    depth = np.arange(20, dtype=np.float32).reshape(4, 5)
    np.testing.assert_array_equal(
        translate_image(depth, -1, 2)[:3, 2:], depth[1:, :3]
    )


def test_guide_shift_moves_the_image_only():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (24, 32, 3)).astype(np.uint8)
    depth = rng.uniform(1, 5, (24, 32)).astype(np.float32)
    np.random.seed(0)
    step = RandomGuideShift(max_shift=3, prob=1.0)
    shifts = set()
    for _ in range(60):
        out = step(dict(img=img.copy(), gt_depth=depth.copy()))
        dy, dx = out['guide_shift']
        assert max(abs(dy), abs(dx)) <= 3
        shifts.add((dy, dx))
        np.testing.assert_array_equal(out['gt_depth'], depth)
        np.testing.assert_array_equal(out['img'], translate_image(img, dy, dx))
    # the offsets cover the square, negative and positive along both axes
    assert len(shifts) > 25
    assert {s[0] for s in shifts} == set(range(-3, 4))
    assert {s[1] for s in shifts} == set(range(-3, 4))


def test_guide_shift_probability_and_validation():
    img = np.zeros((8, 8, 3), np.uint8)
    np.random.seed(4)
    step = RandomGuideShift(max_shift=2, prob=0.5)
    kept = [
        step(dict(img=img.copy()))['guide_shift'] == (0, 0) for _ in range(200)
    ]
    # (0, 0) also comes from an applied shift with chance 1 / 25
    assert 80 < sum(kept) < 135
    out = RandomGuideShift(prob=0.0)(dict(img=img.copy()))
    assert out['guide_shift'] == (0, 0)
    with pytest.raises(ValueError, match='max_shift'):
        RandomGuideShift(max_shift=0)
    with pytest.raises(ValueError, match='max_shift'):
        RandomGuideShift(max_shift=1.5)
    with pytest.raises(ValueError, match='prob'):
        RandomGuideShift(prob=-0.1)
    with pytest.raises(ValueError, match=r'x\.png.*too small'):
        RandomGuideShift(max_shift=3, prob=1.0)(
            dict(img=np.zeros((3, 8, 3), np.uint8), img_path='x.png')
        )
    assert RandomGuideShift.training_only
