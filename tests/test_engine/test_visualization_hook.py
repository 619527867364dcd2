"""DenseVisualizationHook: panel layout, input colours, error maps."""

import os
import os.path as osp
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData

from mmdepthsr.engine.visualization_hook import (
    SEG_IGNORED,
    SEG_RIGHT,
    SEG_WRONG,
    DenseVisualizationHook,
)
from mmdepthsr.registry import HOOKS
from mmdepthsr.structures import DenseDataSample
from mmdepthsr.visualization import colorize_depth, colorize_error

H, W = 6, 8
PAD = 2
PALETTE = [(10, 20, 30), (200, 100, 0), (0, 90, 250)]


def fake_runner(tmp_path, bgr_to_rgb=False):
    model = SimpleNamespace(
        data_preprocessor=SimpleNamespace(bgr_to_rgb=bgr_to_rgb)
    )
    loader = SimpleNamespace(
        dataset=SimpleNamespace(metainfo=dict(palette=PALETTE))
    )
    return SimpleNamespace(
        model=model,
        log_dir=str(tmp_path / 'log'),
        iter=7,
        test_dataloader=loader,
        val_dataloader=loader,
    )


def make_batch(n=2, **fields):
    gen = torch.Generator().manual_seed(0)
    inputs = [
        torch.randint(0, 256, (3, H, W), generator=gen, dtype=torch.uint8)
        for _ in range(n)
    ]
    samples = []
    for i in range(n):
        sample = DenseDataSample(
            metainfo=dict(img_path=f'dir/img_{i}.png', sample_idx=i)
        )
        for key, value in fields.items():
            setattr(sample, key, PixelData(data=value[i]))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples), samples


def read_panel(path, pad=PAD):
    """The panel's images (RGB), without the title strip and the gaps."""
    panel = cv2.imread(str(path))[..., ::-1]
    body = panel[-H:]
    count = (panel.shape[1] + pad) // (W + pad)
    assert panel.shape[1] == count * W + (count - 1) * pad
    return [body[:, k * (W + pad) : k * (W + pad) + W] for k in range(count)]


def test_depth_panel_values(tmp_path):
    gen = torch.Generator().manual_seed(1)
    gt = torch.rand(2, 1, H, W, generator=gen) * 4 + 1
    gt[:, :, 0, 0] = 0  # one invalid pixel
    pred = torch.rand(2, 1, H, W, generator=gen) * 4 + 1
    data_batch, outputs = make_batch(gt_depth=gt, pred_depth=pred)
    hook = HOOKS.build(
        dict(
            type='DenseVisualizationHook',
            draw=True,
            interval=1,
            out_dir=str(tmp_path / 'vis'),
            pad=PAD,
        )
    )
    hook.after_test_iter(fake_runner(tmp_path), 0, data_batch, outputs)
    names = sorted(os.listdir(tmp_path / 'vis'))
    assert names == ['000000_img_0.png', '000001_img_1.png']
    rgb, pred_img, gt_img, err_img = read_panel(tmp_path / 'vis' / names[1])
    np.testing.assert_array_equal(
        rgb, data_batch['inputs'][1].permute(1, 2, 0).numpy()
    )
    valid = gt[1, 0][gt[1, 0] > 0]
    vmin, vmax = float(valid.min()), float(valid.max())
    np.testing.assert_array_equal(
        pred_img, colorize_depth(pred[1, 0], vmin=vmin, vmax=vmax)
    )
    np.testing.assert_array_equal(
        gt_img, colorize_depth(gt[1, 0], vmin=vmin, vmax=vmax)
    )
    np.testing.assert_array_equal(err_img, colorize_error(pred[1], gt[1]))
    assert np.all(err_img[0, 0] == 0)  # invalid GT is black


def test_bgr_input_and_resize_to_prediction(tmp_path):
    # The prediction (and GT) is twice the input size: the RGB panel is
    # resized to it; a BGR-to-RGB preprocessor means the input is BGR.
    big = torch.ones(1, 1, 2 * H, 2 * W)
    data_batch, outputs = make_batch(n=1, pred_depth=big, gt_depth=big)
    data_batch['inputs'][0] = torch.stack(
        [torch.full((H, W), v, dtype=torch.uint8) for v in (10, 20, 30)]
    )
    hook = DenseVisualizationHook(
        draw=True, interval=1, out_dir=str(tmp_path), pad=0
    )
    hook.after_test_iter(
        fake_runner(tmp_path, bgr_to_rgb=True), 0, data_batch, outputs
    )
    panel = cv2.imread(str(tmp_path / '000000_img_0.png'))[..., ::-1]
    assert panel.shape[1] == 4 * 2 * W
    assert tuple(panel[-1, 0]) == (30, 20, 10)


def test_segmentation_and_normal_panels(tmp_path):
    gt_seg = torch.tensor([0, 1, 2, 255]).repeat(H * W // 4).view(1, 1, H, W)
    pred_seg = gt_seg.clone()
    pred_seg[gt_seg == 255] = 0
    pred_seg[0, 0, 0, 0] = 2  # wrong (the GT is 0)
    data_batch, outputs = make_batch(
        n=1, gt_sem_seg=gt_seg, pred_sem_seg=pred_seg
    )
    hook = DenseVisualizationHook(
        draw=True, interval=1, out_dir=str(tmp_path / 'seg'), pad=PAD
    )
    hook.after_val_iter(fake_runner(tmp_path), 0, data_batch, outputs)
    path = tmp_path / 'seg' / 'val_iter_7' / '000000_img_0.png'
    _, pred_img, gt_img, err = read_panel(path)
    assert tuple(pred_img[0, 0]) == PALETTE[2]
    assert tuple(gt_img[0, 1]) == PALETTE[1]
    assert tuple(err[0, 0]) == SEG_WRONG
    assert tuple(err[0, 1]) == SEG_RIGHT
    assert tuple(err[0, 3]) == SEG_IGNORED

    # Normals: a 90 degree error saturates the 0-45 degree colour scale,
    # a perfect pixel gets the first colour, an invalid one is black.
    gt_n = torch.zeros(1, 3, H, W)
    gt_n[:, 2] = -1.0
    gt_n[:, :, 0, 1] = 0.0
    pred_n = gt_n.clone()
    pred_n[0, :, 0, 0] = torch.tensor([1.0, 0.0, 0.0])
    pred_n[0, :, 0, 1] = torch.tensor([0.0, 0.0, -1.0])
    data_batch, outputs = make_batch(n=1, gt_normal=gt_n, pred_normal=pred_n)
    hook = DenseVisualizationHook(
        draw=True, interval=1, out_dir=str(tmp_path / 'n'), pad=PAD
    )
    hook.after_test_iter(fake_runner(tmp_path), 0, data_batch, outputs)
    _, _, _, err = read_panel(tmp_path / 'n' / '000000_img_0.png')
    ramp = colorize_error(np.array([[1.0, 46.0]]), np.ones((1, 2)), vmax=45)
    assert tuple(err[0, 0]) == tuple(ramp[0, 1])
    assert tuple(err[1, 1]) == tuple(ramp[0, 0])
    assert tuple(err[0, 1]) == (0, 0, 0)


def test_draw_off_interval_and_bad_key(tmp_path):
    pred = torch.ones(2, 1, H, W)
    data_batch, outputs = make_batch(pred_depth=pred)
    runner = fake_runner(tmp_path)
    DenseVisualizationHook(out_dir=str(tmp_path / 'off')).after_test_iter(
        runner, 0, data_batch, outputs
    )
    assert not osp.exists(tmp_path / 'off')
    hook = DenseVisualizationHook(
        draw=True, interval=2, out_dir=str(tmp_path / 'every2')
    )
    for batch_idx in range(4):  # the 2nd and 4th batches are drawn
        for i, sample in enumerate(outputs):
            sample.set_metainfo(dict(sample_idx=2 * batch_idx + i))
        hook.after_test_iter(runner, batch_idx, data_batch, outputs)
    assert sorted(os.listdir(tmp_path / 'every2')) == [
        f'{i:06d}_img_{i % 2}.png' for i in (2, 3, 6, 7)
    ]
    # Without GT: RGB | prediction only.
    panels = read_panel(tmp_path / 'every2' / '000002_img_0.png', pad=4)
    assert len(panels) == 2

    with pytest.raises(KeyError, match='img_0 has no `pred_sr_depth`'):
        DenseVisualizationHook(
            draw=True,
            interval=1,
            pred_key='pred_sr_depth',
            out_dir=str(tmp_path),
        ).after_test_iter(runner, 0, data_batch, outputs)
    with pytest.raises(ValueError, match='pred_key'):
        DenseVisualizationHook(pred_key='seg_logits')
