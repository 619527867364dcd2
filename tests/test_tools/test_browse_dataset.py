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
