import cv2
import matplotlib
import numpy as np
import pytest
import torch

from mmdepthsr.visualization import (
    colorize_depth,
    colorize_error,
    colorize_labels,
    colorize_normals,
    make_panel,
    save_image,
)


def _lut(name):
    rgba = matplotlib.colormaps[name](np.linspace(0, 1, 256))
    return np.round(rgba[:, :3] * 255).astype(np.uint8)


def test_colorize_depth_ends_invalid_and_monotone():
    depth = np.array([[0.0, 1.0, 2.0, 3.0], [np.nan, np.inf, -1.0, 5.0]])
    rgb = colorize_depth(depth)
    assert rgb.shape == (2, 4, 3) and rgb.dtype == np.uint8
    magma = _lut('magma')
    # Invalid (0, nan, inf, negative) -> black; vmin/vmax -> the map's ends.
    for pixel in [(0, 0), (1, 0), (1, 1), (1, 2)]:
        np.testing.assert_array_equal(rgb[pixel], [0, 0, 0])
    np.testing.assert_array_equal(rgb[0, 1], magma[0])
    np.testing.assert_array_equal(rgb[1, 3], magma[255])
    # 2 m of the range 1..5 -> index round(0.25 * 255) = 64.
    np.testing.assert_array_equal(rgb[0, 2], magma[64])
    # Magma's brightness grows with depth.
    ramp = colorize_depth(np.linspace(1, 2, 50)[None]).astype(int).sum(-1)[0]
    assert (np.diff(ramp) >= 0).all() and ramp[-1] > ramp[0]
    # Explicit range, clipping, torch (1, H, W) input and another colormap.
    out = colorize_depth(
        torch.tensor([[[0.5, 10.0]]]), vmin=1.0, vmax=4.0, cmap='viridis'
    )
    np.testing.assert_array_equal(out[0, 0], _lut('viridis')[0])
    np.testing.assert_array_equal(out[0, 1], _lut('viridis')[255])
    assert not colorize_depth(np.zeros((3, 3))).any()
    with pytest.raises(ValueError, match='colorize_depth'):
        colorize_depth(np.zeros((2, 3, 4)))


def test_colorize_error():
    gt = np.array([[1.0, 2.0, 0.0, 4.0]])
    pred = np.array([[1.0, 3.0, 5.0, 2.0]])
    rgb = colorize_error(pred, gt)
    turbo = _lut('turbo')
    np.testing.assert_array_equal(rgb[0, 0], turbo[0])  # zero error
    np.testing.assert_array_equal(rgb[0, 1], turbo[128])  # 1 of 2
    np.testing.assert_array_equal(rgb[0, 2], [0, 0, 0])  # invalid gt
    np.testing.assert_array_equal(rgb[0, 3], turbo[255])  # max error 2
    rgb = colorize_error(pred, gt, vmax=4.0)
    np.testing.assert_array_equal(rgb[0, 1], turbo[64])
    with pytest.raises(ValueError, match='shape'):
        colorize_error(np.ones((2, 2)), np.ones((3, 3)))


def test_colorize_labels():
    palette = [[10, 20, 30], [200, 100, 0], [1, 2, 3]]
    labels = torch.tensor([[[0, 1], [2, 255]]])
    rgb = colorize_labels(labels, palette)
    np.testing.assert_array_equal(
        rgb, [[[10, 20, 30], [200, 100, 0]], [[1, 2, 3], [0, 0, 0]]]
    )
    with pytest.raises(ValueError, match=r'\[3\].*3 classes'):
        colorize_labels(np.array([[3, 0]]), palette)
    assert not colorize_labels(np.array([[7]]), palette, ignore_index=7).any()


def test_colorize_normals():
    normals = np.array(
        [[[0.0, 0.0, -1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0, -1, 0]]]
    )
    rgb = colorize_normals(normals)
    np.testing.assert_array_equal(
        rgb[0], [[128, 128, 0], [255, 128, 128], [0, 0, 0], [128, 0, 128]]
    )
    # Channel-first tensors give the same colours.
    chw = torch.from_numpy(normals.transpose(2, 0, 1).copy())
    np.testing.assert_array_equal(colorize_normals(chw), rgb)


def test_make_panel_widths_titles_and_resizing():
    a = np.full((10, 20, 3), 50, np.uint8)
    b = np.full((5, 6, 3), 100, np.uint8)  # resized to 10 x 12
    c = np.full((10, 7), 200, np.uint8)  # grey -> RGB
    panel = make_panel([a, b, c], pad=3)
    assert panel.shape == (10, 20 + 12 + 7 + 2 * 3, 3)
    np.testing.assert_array_equal(panel[:, :20], a)
    assert (panel[:, 20:23] == 255).all()
    assert (panel[:, 23:35] == 100).all()
    assert (panel[:, 38:] == 200).all()

    titled = make_panel([a, b], titles=['rgb', 'depth'], pad=4)
    strip = 14  # at least 14 px, 7 % of the height otherwise
    assert titled.shape == (10 + strip, 20 + 12 + 4, 3)
    np.testing.assert_array_equal(titled[strip:, :20], a)
    # Black text was drawn on the white strip.
    assert (titled[:strip] < 128).any() and (titled[:strip] == 255).any()
    tall = make_panel([np.zeros((400, 10, 3), np.uint8)], titles=['x'])
    assert tall.shape == (428, 10, 3)
    with pytest.raises(ValueError, match='titles'):
        make_panel([a], titles=['a', 'b'])
    with pytest.raises(ValueError, match='no images'):
        make_panel([])


def test_save_image_writes_rgb_png(tmp_path):
    rgb = np.zeros((4, 5, 3), np.uint8)
    rgb[..., 0] = 255  # pure red
    path = tmp_path / 'a' / 'b' / 'red.png'
    save_image(str(path), rgb)
    bgr = cv2.imread(str(path))
    np.testing.assert_array_equal(bgr[0, 0], [0, 0, 255])
    with pytest.raises(OSError, match='could not write'):
        save_image(str(tmp_path / 'x.unknown_ext'), rgb)
