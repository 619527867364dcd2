import numpy as np
import pytest

from mmdepthsr.datasets.transforms import GenerateLRDepth, RandomDisparityMap


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
