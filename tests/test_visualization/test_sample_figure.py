"""sample_figure and render_figure: panels per predicted field, shared
colour scales, colour bars and legends."""

import cv2
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData

from mmdepthsr.structures import DenseDataSample
from mmdepthsr.visualization import (
    ColorBar,
    Legend,
    colorize_depth,
    colorize_normals,
    depth_unit_label,
    nice_ticks,
    render_figure,
    sample_figure,
)

H, W, SCALE = 8, 12, 4
CLASSES = ('wall', 'floor', 'chair', 'table')
PALETTE = [(10, 20, 30), (200, 100, 0), (0, 90, 250), (5, 250, 5)]


def joint_sample(normalised_lr=False):
    """A joint model's output: SR and monocular depth, segmentation,
    normals, their ground truth and the LR input."""
    gen = torch.Generator().manual_seed(0)
    gt = torch.rand(1, H, W, generator=gen) * 4 + 1
    gt[0, 0, 0] = 0  # invalid
    lr = gt[:, ::SCALE, ::SCALE].clone()
    meta = dict(img_path='scene/0001.png')
    if normalised_lr:
        meta['depth_norm_max'] = 10.0
        lr = lr / 10.0
    sample = DenseDataSample(metainfo=meta)
    sample.gt_depth = PixelData(data=gt)
    sample.lr_depth = PixelData(data=lr)
    sample.pred_sr_depth = PixelData(data=gt * 1.05 + 0.01)
    sample.pred_depth = PixelData(data=gt * 1.5)  # beyond the GT range
    seg = torch.zeros(1, H, W, dtype=torch.long)
    seg[:, :, 6:] = 2
    gt_seg = seg.clone()
    gt_seg[:, 0] = 255
    gt_seg[:, 1] = 1
    sample.pred_sem_seg = PixelData(data=seg)
    sample.gt_sem_seg = PixelData(data=gt_seg)
    normals = torch.zeros(3, H, W)
    normals[2] = -1
    sample.pred_normal = PixelData(data=normals)
    sample.gt_normal = PixelData(data=normals)
    return sample


def rgb():
    return np.random.default_rng(0).integers(0, 256, (H, W, 3), np.uint8)


def test_joint_model_figure_has_a_titled_panel_per_field():
    sample = joint_sample()
    figure = sample_figure(sample, rgb(), palette=PALETTE, classes=CLASSES)
    assert figure.titles == [
        'RGB',
        'LR depth (lr_depth)',
        'SR depth (pred_sr_depth)',
        'monocular depth (pred_depth)',
        'ground truth (gt_depth)',
        'SR depth error',
        'monocular depth error',
        'segmentation (pred_sem_seg)',
        'ground truth (gt_sem_seg)',
        'segmentation errors (red)',
        'normals (pred_normal)',
        'ground truth (gt_normal)',
        'normal error',
    ]
    # Depth panels share the GT's valid range and one colour bar in m.
    gt = sample.gt_depth.data[0].numpy()
    valid = gt[gt > 0]
    expected = (float(valid.min()), float(valid.max()))
    depth = [p for p in figure.panels if p.kind == 'depth']
    assert [p.field for p in depth] == [
        'lr_depth',
        'pred_sr_depth',
        'pred_depth',
        'gt_depth',
    ]
    assert all(p.value_range == expected for p in depth)
    bar = figure.rows[0].annotation
    assert isinstance(bar, ColorBar)
    assert (bar.vmin, bar.vmax, bar.label) == (*expected, 'depth (m)')
    mde = figure.panel('monocular depth (pred_depth)')
    np.testing.assert_array_equal(
        mde.image, colorize_depth(sample.pred_depth.data, *expected)
    )
    # The depth errors share one scale: 0 to the largest error (MDE's).
    errors = [p for p in figure.panels if p.kind == 'error'][:2]
    largest = float(np.max(np.abs(gt * 0.5)[gt > 0]))
    assert all(p.value_range == pytest.approx((0, largest)) for p in errors)
    assert figure.rows[1].annotation.label == '|error| (m)'
    # Errors sit under their predictions (RGB and LR columns are gaps).
    assert figure.rows[1].panels[:2] == [None, None]
    normals = figure.panel('normals (pred_normal)')
    np.testing.assert_array_equal(
        normals.image, colorize_normals(sample.pred_normal.data)
    )


def test_lr_depth_is_upsampled_nearest_and_back_in_metres():
    plain = sample_figure(joint_sample(), rgb(), palette=PALETTE)
    normalised = sample_figure(
        joint_sample(normalised_lr=True), rgb(), palette=PALETTE
    )
    lr = joint_sample().lr_depth.data[0].numpy()
    panel = plain.panel('LR depth (lr_depth)')
    up = np.kron(lr, np.ones((SCALE, SCALE), np.float32))
    np.testing.assert_array_equal(
        panel.image, colorize_depth(up, *panel.value_range)
    )
    np.testing.assert_allclose(
        normalised.panel('LR depth (lr_depth)').image, panel.image, atol=1
    )


def test_legend_lists_the_classes_present():
    figure = sample_figure(
        joint_sample(), rgb(), palette=PALETTE, classes=CLASSES
    )
    legend = figure.rows[2].annotation
    assert isinstance(legend, Legend)
    # Prediction {0, 2} and ground truth {0, 1, 2, 255 (ignored)}; 3 absent.
    assert legend.labels == ['wall', 'floor', 'chair']
    assert [e[2] for e in legend.entries] == PALETTE[:3]
    # Without names, the ids.
    unnamed = sample_figure(joint_sample(), rgb(), palette=PALETTE)
    assert unnamed.rows[2].annotation.labels == ['0', '1', '2']


def test_fields_subset_units_and_errors():
    sample = joint_sample()
    figure = sample_figure(sample, rgb(), fields=['pred_sr_depth'])
    assert figure.titles[:3] == [
        'RGB',
        'LR depth (lr_depth)',
        'SR depth (pred_sr_depth)',
    ]
    assert 'monocular depth (pred_depth)' not in figure.titles
    grey = sample_figure(
        sample,
        rgb(),
        fields=['pred_sr_depth'],
        depth_unit='8-bit disparity grey levels (0..255), not metres',
    )
    assert grey.rows[0].annotation.label == '8-bit disparity grey levels'
    assert depth_unit_label('metres') == 'depth (m)'
    with pytest.raises(ValueError, match='palette'):
        sample_figure(sample, rgb(), fields=['pred_sem_seg'])
    sample.gt_normal = PixelData(data=torch.zeros(3, H, W + 1))
    with pytest.raises(ValueError, match='gt_normal'):
        sample_figure(sample, rgb(), fields=['pred_normal'])


def test_nice_ticks():
    assert nice_ticks(0.0, 10.0) == [0, 2, 4, 6, 8, 10]
    assert nice_ticks(0.73, 4.2) == [1, 2, 3, 4]
    assert nice_ticks(0.0, 0.45) == [0, 0.1, 0.2, 0.3, 0.4]
    assert nice_ticks(2.0, 2.0) == [2.0]


def test_render_places_panels_and_draws_the_colour_bar():
    sample = joint_sample()
    figure = sample_figure(sample, rgb(), fields=['pred_sr_depth'])
    pad = 3
    image = render_figure(figure, pad=pad)
    title_h = 14  # the strip's minimum height
    row = figure.rows[0]
    assert image.dtype == np.uint8
    assert image.shape[0] == 2 * (title_h + H) + pad  # depth + error rows
    for k, panel in enumerate(row.panels):
        x = k * (W + pad)
        np.testing.assert_array_equal(
            image[title_h : title_h + H, x : x + W], panel.image
        )
    # The colour bar follows the last panel: its top is the last colour
    # of the depth map, its bottom the first.
    bar_x = len(row.panels) * (W + pad)
    column = image[title_h : title_h + H, bar_x]
    lut = colorize_depth(np.array([[1.0, 2.0]]), 1.0, 2.0)
    coloured = column[np.any(column != 255, axis=-1)]
    np.testing.assert_array_equal(coloured[0], lut[0, 1])
    np.testing.assert_array_equal(coloured[-1], lut[0, 0])


def test_render_a_real_size_joint_figure():
    # 480 x 640 depth and normals: four rows of tiles side by side.
    sample = joint_sample()
    big = DenseDataSample(metainfo=sample.metainfo)
    for key in ('gt_depth', 'pred_depth', 'pred_sr_depth', 'pred_normal'):
        data = getattr(sample, key).data[None]
        data = torch.nn.functional.interpolate(data, size=(480, 640))
        setattr(big, key, PixelData(data=data[0]))
    image = render_figure(
        sample_figure(big, cv2.resize(rgb(), (640, 480)), palette=PALETTE)
    )
    assert image.shape[0] > 2 * 480 and image.shape[1] > 4 * 640
