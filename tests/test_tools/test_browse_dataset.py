import importlib.util
from pathlib import Path

import cv2
import numpy as np

from mmdepthsr.datasets import SynthRoomsDataset
from mmdepthsr.visualization import (
    colorize_depth,
    colorize_labels,
    colorize_normals,
)

ROOT = Path(__file__).resolve().parents[2]
SHAPE = (24, 32)
PAD = 4
STRIP = 14  # title strip of make_panel for a 24-pixel-high panel


def _load_tool():
    spec = importlib.util.spec_from_file_location(
        'browse_dataset', ROOT / 'tools' / 'misc' / 'browse_dataset.py'
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write_config(tmp_path, pipeline):
    path = tmp_path / 'tiny_synthrooms.py'
    path.write_text(
        'val_dataloader = dict(dataset=dict(type="SynthRoomsDataset", '
        f'split="val", num_samples=2, img_shape={SHAPE}, '
        f'pipeline={pipeline}))\n'
    )
    return str(path)


def _read_rgb(path):
    return cv2.imread(str(path))[..., ::-1]


def test_browse_raw_results(tmp_path):
    out_dir = tmp_path / 'out'
    config = _write_config(tmp_path, '[]')
    tool = _load_tool()
    assert (
        tool.main([config, '--out-dir', str(out_dir), '--split', 'val']) == 0
    )
    files = sorted(p.name for p in out_dir.iterdir())
    assert files == ['000000.png', '000001.png']
    panel = _read_rgb(out_dir / '000001.png')
    # RGB | depth | labels | normals, each 32 wide, 4 px apart.
    w = SHAPE[1]
    assert panel.shape == (STRIP + SHAPE[0], 4 * w + 3 * PAD, 3)
    sample = SynthRoomsDataset(
        split='val', num_samples=2, img_shape=SHAPE
    ).get_data_info(1)
    body = panel[STRIP:]
    np.testing.assert_array_equal(body[:, :w], sample['img'])
    x = w + PAD
    np.testing.assert_array_equal(
        body[:, x : x + w], colorize_depth(sample['gt_depth'])
    )
    x += w + PAD
    np.testing.assert_array_equal(
        body[:, x : x + w],
        colorize_labels(
            sample['gt_sem_seg'], SynthRoomsDataset.METAINFO['palette']
        ),
    )
    x += w + PAD
    np.testing.assert_array_equal(
        body[:, x:], colorize_normals(sample['gt_normal'])
    )


def test_browse_packed_samples_with_lr_depth(tmp_path):
    out_dir = tmp_path / 'packed'
    pipeline = (
        "[dict(type='GenerateLRDepth', scale_factor=4, method='nearest'), "
        "dict(type='PackDenseInputs')]"
    )
    config = _write_config(tmp_path, pipeline)
    tool = _load_tool()
    tool.main(
        [
            config,
            '--out-dir',
            str(out_dir),
            '--split',
            'val',
            '--num',
            '5',
            '--cfg-options',
            'val_dataloader.dataset.num_samples=1',
        ]
    )
    assert [p.name for p in out_dir.iterdir()] == ['000000.png']
    panel = _read_rgb(out_dir / '000000.png')
    # RGB | depth | LR depth (6 x 8, shown at 24 x 32) | labels | normals.
    w = SHAPE[1]
    assert panel.shape == (STRIP + SHAPE[0], 5 * w + 4 * PAD, 3)
    sample = SynthRoomsDataset(
        split='val', num_samples=1, img_shape=SHAPE
    ).get_data_info(0)
    np.testing.assert_array_equal(panel[STRIP:, :w], sample['img'])
    # Nearest LR pixels (phase 2) blown up 4x, on the HR depth's colour scale.
    depth = sample['gt_depth']
    lr = depth[2::4, 2::4]
    expected = colorize_depth(
        np.kron(lr, np.ones((4, 4))), vmin=depth.min(), vmax=depth.max()
    )
    x = 2 * (w + PAD)
    np.testing.assert_array_equal(panel[STRIP:, x : x + w], expected)


def _write_patch_config(tmp_path, patch_pipeline):
    path = tmp_path / 'tiny_patches.py'
    path.write_text(
        'val_dataloader = dict(dataset=dict(type="GridPatchDataset", '
        'patch_size=16, stride=16, dataset=dict(type="SynthRoomsDataset", '
        f'split="val", num_samples=2, img_shape={SHAPE}, '
        "pipeline=[dict(type='GenerateLRDepth', scale_factor=4, "
        f"method='nearest')]), pipeline={patch_pipeline}))\n"
    )
    return str(path)


def test_browse_normalised_dsr_patches_in_metres(tmp_path):
    out_dir = tmp_path / 'patches'
    config = _write_patch_config(
        tmp_path,
        "[dict(type='NormalizeDepth'), dict(type='PackDenseInputs')]",
    )
    tool = _load_tool()
    argv = [config, '--out-dir', str(out_dir), '--split', 'val']
    assert tool.main([*argv, '--num', '3', '--spread']) == 0
    # 4 patches per image (rows 0, 8; cols 0, 16); spread over 8: 0, 4, 7.
    assert sorted(p.name for p in out_dir.iterdir()) == [
        '000000_patch0_0.png',
        '000001_patch0_0.png',
        '000001_patch8_16.png',
    ]
    panel = _read_rgb(out_dir / '000001_patch8_16.png')
    # RGB | depth | LR depth | labels | normals, each 16 x 16, and the
    # patch's place in the 24 x 32 frame (source_shape), 16 x 21.
    assert panel.shape[1] == 5 * 16 + 21 + 5 * PAD
    body = panel[panel.shape[0] - 16 :]
    full = SynthRoomsDataset(
        split='val', num_samples=2, img_shape=SHAPE
    ).get_data_info(1)
    hr = full['gt_depth'][8:24, 16:32]
    np.testing.assert_array_equal(body[:, :16], full['img'][8:24, 16:32])
    # The LR panel is de-normalised: it matches the HR panel's colours at
    # the nearest-sampled pixels, on the HR colour scale.
    low, high = float(hr.min()), float(hr.max())
    lr = ((hr[2::4, 2::4].astype(np.float64) - low) / (high - low)).astype(
        np.float32
    )
    metres = lr.astype(np.float64) * (high - low) + low
    np.testing.assert_allclose(metres, hr[2::4, 2::4], rtol=1e-6)
    expected = colorize_depth(
        np.kron(metres, np.ones((4, 4))), vmin=low, vmax=high
    )
    x = 2 * (16 + PAD)
    np.testing.assert_array_equal(body[:, x : x + 16], expected)
    np.testing.assert_array_equal(
        body[:, 16 + PAD : 32 + PAD],
        colorize_depth(hr, vmin=low, vmax=high),
    )


def test_browse_raw_patches_show_their_place(tmp_path):
    out_dir = tmp_path / 'raw_patches'
    config = _write_patch_config(tmp_path, '[]')
    tool = _load_tool()
    argv = [config, '--out-dir', str(out_dir), '--split', 'val']
    assert tool.main([*argv, '--num', '4']) == 0
    panel = _read_rgb(out_dir / '000000_patch8_16.png')
    # RGB | depth | LR | labels | normals | the full 24 x 32 frame shown
    # 16 px high (21 px wide) with the patch's box in red.
    assert panel.shape[1] == 5 * 16 + 21 + 5 * PAD
    location = panel[panel.shape[0] - 16 :, 5 * (16 + PAD) :]
    red = np.all(location == (220, 0, 0), axis=-1)
    rows, cols = np.nonzero(red)
    # Box rows 8..23 and cols 16..31 of the frame, scaled by 16 / 24.
    assert (rows.min(), rows.max()) == (5, 15)
    assert (cols.min(), cols.max()) == (11, 20)


def test_browse_generated_palette(tmp_path):
    out_dir = tmp_path / 'no_palette'
    config = _write_config(tmp_path, '[]')
    tool = _load_tool()
    tool.main(
        [
            config,
            '--out-dir',
            str(out_dir),
            '--split',
            'val',
            '--num',
            '1',
            '--cfg-options',
            'val_dataloader.dataset.metainfo.palette=None',
        ]
    )
    panel = _read_rgb(out_dir / '000000.png')
    sample = SynthRoomsDataset(
        split='val', num_samples=1, img_shape=SHAPE
    ).get_data_info(0)
    num_classes = len(SynthRoomsDataset.METAINFO['classes'])
    palette = tool.make_palette(num_classes)
    assert len({tuple(c) for c in palette}) == num_classes
    x = 2 * (SHAPE[1] + PAD)
    np.testing.assert_array_equal(
        panel[STRIP:, x : x + SHAPE[1]],
        colorize_labels(sample['gt_sem_seg'], palette),
    )


def test_draw_panel_partial_and_odd_fields():
    tool = _load_tool()
    depth = np.zeros((20, 20), np.float32)
    depth[5, 5] = 2.0
    depth[15, 12] = 4.0
    labels = np.full((20, 20), 255, np.int64)
    labels[:10] = 9  # beyond the 2-colour palette
    fields = dict(
        img=np.full((20, 20, 3), 0.5, np.float32),  # float image in 0-1
        gt_depth=depth,
        gt_sem_seg=labels,
        meta={},
    )
    panel = tool.draw_panel(fields, palette=[[1, 2, 3], [4, 5, 6]])
    body = panel[panel.shape[0] - 20 :]
    assert panel.shape[1] == 3 * 20 + 2 * PAD
    np.testing.assert_array_equal(body[:, :20], 128)  # 0.5 * 255
    # Sparse depth (2 of 400 pixels) is dilated 5 x 5 for display.
    shown = body[:, 20 + PAD : 40 + PAD]
    assert (shown.sum(-1) > 0).sum() == 2 * 25
    colour = tool.make_palette(10)[9]
    x = 2 * (20 + PAD)
    np.testing.assert_array_equal(body[:10, x:], np.tile(colour, (10, 20, 1)))
    np.testing.assert_array_equal(body[10:, x:], 0)
    # Depth only (no image, no labels): one panel.
    only = tool.draw_panel(dict(gt_depth=depth * 0 + 1, meta={}))
    assert only.shape[1] == 20


def test_browse_reports_failing_samples(tmp_path, capsys):
    out_dir = tmp_path / 'failing'
    config = _write_config(
        tmp_path, "[dict(type='RandomCrop', crop_size=(48, 64))]"
    )
    tool = _load_tool()
    code = tool.main([config, '--out-dir', str(out_dir), '--split', 'val'])
    assert code == 1
    out = capsys.readouterr().out
    assert 'sample 0 skipped' in out and 'sample 1 skipped' in out
    assert 'wrote 0 panels' in out and '2 samples failed' in out
