"""RandomColorGain multiplies each RGB channel by its own gain."""

from unittest import mock

import numpy as np
import pytest

from mmdepthsr.datasets.transforms import RandomColorGain


def test_gain_per_channel_with_clipping_and_dtype():
    img = np.array([[[100, 100, 100], [200, 200, 200]]], np.uint8)
    depth = np.ones((1, 2), np.float32)
    gain = RandomColorGain()
    fixed = np.array([0.5, 1.0, 2.0], np.float32)
    with mock.patch.object(gain, '_sample_gain', return_value=fixed):
        out = gain(dict(img=img, gt_depth=depth))
    assert out['img'].dtype == np.uint8
    np.testing.assert_array_equal(
        out['img'], [[[50, 100, 200], [100, 200, 255]]]
    )
    np.testing.assert_array_equal(out['color_gain'], fixed)
    np.testing.assert_array_equal(out['gt_depth'], depth)  # image only


def test_random_gain_in_range_float_image():
    np.random.seed(0)
    rng = np.random.default_rng(0)
    img = rng.uniform(0, 255, (4, 5, 3)).astype(np.float32)
    out = RandomColorGain((0.8, 1.2))(dict(img=img.copy()))
    gain = out['color_gain']
    assert gain.shape == (3,)
    assert ((gain >= 0.8) & (gain <= 1.2)).all()
    assert len(set(gain.tolist())) == 3
    assert out['img'].dtype == np.float32
    np.testing.assert_allclose(
        out['img'], np.clip(img * gain, 0, 255), rtol=1e-6
    )


def test_errors_and_repr():
    with pytest.raises(ValueError, match='gain_range'):
        RandomColorGain((1.2, 0.8))
    with pytest.raises(ValueError, match=r'a\.png.*H x W x 3'):
        RandomColorGain()(dict(img=np.zeros((2, 2)), img_path='a.png'))
    assert repr(RandomColorGain()) == 'RandomColorGain(gain_range=(0.8, 1.2))'
