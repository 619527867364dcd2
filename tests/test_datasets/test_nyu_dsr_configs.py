"""The nyu_dsr_x{4,8,16} dataset configs on a tiny converted NYU layout."""

from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from mmdepthsr.registry import DATASETS, METRICS
from mmdepthsr.testing.nyu import write_nyu_labeled_layout

CONFIGS = Path(__file__).resolve().parents[2] / 'configs/_base_/datasets'


@pytest.fixture(scope='module')
def nyu(tmp_path_factory):
    # frames 0, 1 are dsr_train, frame 2 is dsr_test
    root = tmp_path_factory.mktemp('nyu_labeled')
    return write_nyu_labeled_layout(str(root), num_images=3, dsr_num_train=2)


def _build(cfg, loader, root):
    dataset_cfg = cfg[loader].dataset
    dataset_cfg.data_root = root
    return DATASETS.build(dataset_cfg)


@pytest.mark.parametrize('scale', [4, 8, 16])
def test_test_sample(nyu, scale):
    cfg = Config.fromfile(str(CONFIGS / f'nyu_dsr_x{scale}.py'))
    assert cfg.scale_factor == scale
    dataset = _build(cfg, 'test_dataloader', nyu['root'])
    assert len(dataset) == 1
    assert dataset.get_data_info(0)['nyu_index'] == 2
    packed = dataset[0]
    sample = packed['data_samples']
    gt = sample.gt_depth.data.numpy()[0]
    lr = sample.lr_depth.data.numpy()[0]
    assert packed['inputs'].shape == (3, 480, 640)
    # GT in metres: the filled depth of frame 2 (to the stored millimetre)
    expected_gt = np.round(nyu['frames'][2]['depth'] * 1000) / 1000
    np.testing.assert_allclose(gt, expected_gt, atol=1e-6)
    assert 1.0 < gt.min() and gt.max() < 10.0
    # LR: HR / s, min-max normalised with the GT statistics
    assert lr.shape == (480 // scale, 640 // scale)
    low, high = sample.depth_norm_min, sample.depth_norm_max
    assert low == pytest.approx(float(gt.min()))
    assert high == pytest.approx(float(gt.max()))
    assert -0.05 < lr.min() and lr.max() < 1.05
    assert lr.max() - lr.min() > 0.4
    # equals the literature: PIL bicubic of the normalised HR map
    normalised = ((gt - low) / (high - low)).astype(np.float32)
    literature = np.asarray(
        Image.fromarray(normalised).resize(
            (640 // scale, 480 // scale), Image.BICUBIC
        )
    )
    assert np.abs(lr - literature).max() < 1e-5
    assert sample.scale_factor == scale
    metric = METRICS.build(cfg.test_evaluator)
    assert metric.protocol['border'] == 6
    assert metric.protocol['unit'] == 'cm'


def test_train_sample(nyu):
    cfg = Config.fromfile(str(CONFIGS / 'nyu_dsr_x16.py'))
    dataset = _build(cfg, 'train_dataloader', nyu['root'])
    assert len(dataset) == 2
    # The fixture's wall is flat (min == max there): draw a crop that
    # reaches the floor (rows >= 410); seed 8 gives rows 195..450.
    state = np.random.get_state()
    try:
        np.random.seed(8)
        sample = dataset[0]['data_samples']
    finally:
        np.random.set_state(state)
    assert sample.crop_box[0] > 160
    assert sample.gt_depth.shape == (256, 256)
    assert sample.lr_depth.shape == (16, 16)
    gt = sample.gt_depth.data.numpy()
    # the statistics are those of the 256 x 256 patch, in metres
    assert sample.depth_norm_min == pytest.approx(float(gt.min()))
    assert sample.depth_norm_max == pytest.approx(float(gt.max()))
    lr = sample.lr_depth.data.numpy()
    assert -0.05 < lr.min() and lr.max() < 1.05
