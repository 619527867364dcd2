"""DenseVisualizationHook: figure files, input colours, error maps, the
visualizer backends."""

import os
import os.path as osp
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmengine.visualization import Visualizer

from mmdepthsr.engine.visualization_hook import DenseVisualizationHook
from mmdepthsr.registry import HOOKS
from mmdepthsr.structures import DenseDataSample
from mmdepthsr.visualization import (
    colorize_depth,
    render_figure,
    sample_figure,
)
from mmdepthsr.visualization.sample_figure import (
    SEG_IGNORED,
    SEG_RIGHT,
    SEG_WRONG,
)

H, W = 6, 8
PAD = 2
PALETTE = [(10, 20, 30), (200, 100, 0), (0, 90, 250)]
TITLE_H = 14  # render_figure's title strip above tiles this small


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


def expected_image(sample, rgb, pad=PAD, **kwargs):
    """What the hook should draw for ``sample`` with input ``rgb``."""
    figure = sample_figure(sample, rgb, palette=PALETTE, **kwargs)
    return render_figure(figure, pad=pad)


def read_rgb(path):
    return cv2.imread(str(path))[..., ::-1]


def input_rgb(data_batch, i):
    return data_batch['inputs'][i].permute(1, 2, 0).numpy()


def test_depth_figure_files(tmp_path):
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
    image = read_rgb(tmp_path / 'vis' / names[1])
    rgb = input_rgb(data_batch, 1)
    np.testing.assert_array_equal(image, expected_image(outputs[1], rgb))
    # The RGB panel (under its title strip) is the input, unchanged.
    np.testing.assert_array_equal(image[TITLE_H : TITLE_H + H, :W], rgb)
    # The prediction follows the RGB panel on the GT's colour scale.
    valid = gt[1, 0][gt[1, 0] > 0]
    vmin, vmax = float(valid.min()), float(valid.max())
    np.testing.assert_array_equal(
        image[TITLE_H : TITLE_H + H, W + PAD : 2 * W + PAD],
        colorize_depth(pred[1, 0], vmin=vmin, vmax=vmax),
    )


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
    image = read_rgb(tmp_path / '000000_img_0.png')
    rgb = np.empty((2 * H, 2 * W, 3), np.uint8)
    rgb[...] = (30, 20, 10)
    np.testing.assert_array_equal(
        image[TITLE_H : TITLE_H + 2 * H, : 2 * W], rgb
    )
    np.testing.assert_array_equal(
        image, expected_image(outputs[0], rgb, pad=0)
    )


def test_segmentation_and_normal_figures(tmp_path):
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
    image = read_rgb(path)
    np.testing.assert_array_equal(
        image, expected_image(outputs[0], input_rgb(data_batch, 0))
    )
    # Row 1: RGB | prediction | ground truth | errors, then the legend.
    tiles = [
        image[TITLE_H : TITLE_H + H, k * (W + PAD) : k * (W + PAD) + W]
        for k in range(4)
    ]
    assert tuple(tiles[1][0, 0]) == PALETTE[2]
    assert tuple(tiles[2][0, 1]) == PALETTE[1]
    assert tuple(tiles[3][0, 0]) == SEG_WRONG
    assert tuple(tiles[3][0, 1]) == SEG_RIGHT
    assert tuple(tiles[3][0, 3]) == SEG_IGNORED

    gt_n = torch.zeros(1, 3, H, W)
    gt_n[:, 2] = -1.0
    pred_n = gt_n.clone()
    pred_n[0, :, 0, 0] = torch.tensor([1.0, 0.0, 0.0])
    data_batch, outputs = make_batch(n=1, gt_normal=gt_n, pred_normal=pred_n)
    hook = DenseVisualizationHook(
        draw=True, interval=1, out_dir=str(tmp_path / 'n'), pad=PAD
    )
    hook.after_test_iter(fake_runner(tmp_path), 0, data_batch, outputs)
    np.testing.assert_array_equal(
        read_rgb(tmp_path / 'n' / '000000_img_0.png'),
        expected_image(outputs[0], input_rgb(data_batch, 0)),
    )


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

    with pytest.raises(KeyError, match='img_0 has no `pred_sr_depth`'):
        DenseVisualizationHook(
            draw=True,
            interval=1,
            pred_keys='pred_sr_depth',
            out_dir=str(tmp_path),
        ).after_test_iter(runner, 0, data_batch, outputs)
    with pytest.raises(ValueError, match='pred_keys'):
        DenseVisualizationHook(pred_keys=['seg_logits'])


def _hook_to_backends(tmp_path, backend):
    """Validation figures of two samples sent to ``backend`` (no
    out_dir): returns the runner and the expected figures."""
    gen = torch.Generator().manual_seed(2)
    gt = torch.rand(2, 1, H, W, generator=gen) * 4 + 1
    data_batch, outputs = make_batch(
        gt_depth=gt, pred_depth=gt * 1.1, pred_sr_depth=gt * 0.95
    )
    runner = fake_runner(tmp_path)
    runner.visualizer = Visualizer(
        name=f'vis_{backend}_{tmp_path.name}',
        vis_backends=[dict(type=backend)],
        save_dir=runner.log_dir,
    )
    hook = DenseVisualizationHook(draw=True, interval=1, pad=PAD)
    hook.after_val_iter(runner, 0, data_batch, outputs)
    expected = {
        f'val_{i:06d}_img_{i}': expected_image(
            outputs[i], input_rgb(data_batch, i)
        )
        for i in range(2)
    }
    return runner, expected


def test_validation_figures_go_to_the_visualizer_backends(tmp_path):
    _, expected = _hook_to_backends(tmp_path, 'LocalVisBackend')
    folder = tmp_path / 'log' / 'vis_data' / 'vis_image'
    # LocalVisBackend: <name>_<step>.png, the step being runner.iter.
    assert sorted(os.listdir(folder)) == [f'{n}_7.png' for n in expected]
    for name, image in expected.items():
        np.testing.assert_array_equal(
            read_rgb(folder / f'{name}_7.png'), image
        )


def test_validation_figures_in_tensorboard(tmp_path):
    pytest.importorskip('tensorboard')
    from tensorboard.backend.event_processing.event_accumulator import (
        EventAccumulator,
    )

    runner, expected = _hook_to_backends(tmp_path, 'TensorboardVisBackend')
    runner.visualizer.close()
    events = EventAccumulator(str(tmp_path / 'log' / 'vis_data'))
    events.Reload()
    assert sorted(events.Tags()['images']) == sorted(expected)
    for name, image in expected.items():
        (logged,) = events.Images(name)
        assert logged.step == 7
        decoded = cv2.imdecode(
            np.frombuffer(logged.encoded_image_string, np.uint8),
            cv2.IMREAD_COLOR,
        )[..., ::-1]
        np.testing.assert_array_equal(decoded, image)
