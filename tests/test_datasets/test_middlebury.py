"""Middlebury2005Dataset and the middlebury2005_dsr_x* configs."""

import importlib.util
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from mmdepthsr.datasets import Middlebury2005Dataset
from mmdepthsr.registry import DATASETS, METRICS
from mmdepthsr.testing.middlebury import write_middlebury2005_scenes

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / 'configs' / '_base_' / 'datasets'


def _converter():
    spec = importlib.util.spec_from_file_location(
        'middlebury_converter_for_dataset',
        ROOT / 'tools' / 'dataset_converters' / 'middlebury.py',
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    """Converted layout: test scenes Art, Books (64 x 128) and a training
    scene Aloe (256 x 320), from download-layout fixtures."""
    src = tmp_path_factory.mktemp('middlebury_src')
    out = tmp_path_factory.mktemp('middlebury2005')
    write_middlebury2005_scenes(str(src), ('Art', 'Books'), (70, 150))
    write_middlebury2005_scenes(str(src / 'big'), ('Aloe',), (260, 330))
    tool = _converter()
    tool.main([str(src), str(out), '--scenes', 'Art', 'Books'])
    tool.main(
        [str(src / 'big'), str(out), '--scenes', 'Aloe', '--split', 'train']
    )
    return out


def test_data_list_and_paths(data_root):
    dataset = Middlebury2005Dataset(data_root=str(data_root))
    assert len(dataset) == 2
    info = dataset.get_data_info(1)
    assert info['scene'] == 'Books'
    assert info['img_path'] == str(data_root / 'Books' / 'view1.png')
    assert info['depth_path'] == str(data_root / 'Books' / 'disp1.png')
    assert 'cam_intrinsics' not in info  # disparities, no camera
    assert 'not metres' in dataset.metainfo['depth_unit']
    only = Middlebury2005Dataset(data_root=str(data_root), scenes=['Aloe'])
    assert len(only) == 1 and only.get_data_info(0)['scene'] == 'Aloe'


def test_errors_name_file_and_line(data_root, tmp_path):
    with pytest.raises(FileNotFoundError, match=r'splits[/\\]val\.txt'):
        Middlebury2005Dataset(data_root=str(data_root), split='val')
    with pytest.raises(FileNotFoundError, match=r'scenes\[0\].*Dolls'):
        Middlebury2005Dataset(data_root=str(data_root), scenes=['Dolls'])
    (tmp_path / 'splits').mkdir()
    (tmp_path / 'splits' / 'test.txt').write_text('# six scenes\n\nArt\n')
    with pytest.raises(FileNotFoundError, match=r'test\.txt:3.*Art'):
        Middlebury2005Dataset(data_root=str(tmp_path))
    (tmp_path / 'splits' / 'test.txt').write_text('Art\n../etc 1\n')
    with pytest.raises(ValueError, match=r'test\.txt:2.*not a scene'):
        Middlebury2005Dataset(data_root=str(tmp_path))


@pytest.mark.parametrize('scale', [2, 4, 8, 16])
def test_config_test_sample_in_grey_levels(data_root, scale):
    cfg = Config.fromfile(str(CONFIGS / f'middlebury2005_dsr_x{scale}.py'))
    assert cfg.scale_factor == scale
    dataset_cfg = cfg.test_dataloader.dataset
    dataset_cfg.data_root = str(data_root)
    dataset = DATASETS.build(dataset_cfg)
    assert len(dataset) == 2
    packed = dataset[0]
    sample = packed['data_samples']
    gt = sample.gt_depth.data.numpy()[0]
    lr = sample.lr_depth.data.numpy()[0]
    assert packed['inputs'].shape == (3, 64, 128)
    # gt: 8-bit grey levels as floats, not metres
    disp = cv2.imread(str(data_root / 'Art' / 'disp1.png'), 0)
    np.testing.assert_array_equal(gt, disp.astype(np.float32))
    assert gt.max() > 100
    # LR: OpenCV cubic on uint8, then / 255
    assert lr.shape == (64 // scale, 128 // scale)
    expected = cv2.resize(
        disp, (128 // scale, 64 // scale), interpolation=cv2.INTER_CUBIC
    )
    np.testing.assert_allclose(lr * 255, expected, atol=1e-4)
    assert sample.depth_norm_min == 0.0 and sample.depth_norm_max == 255.0
    assert sample.scale_factor == scale
    metric = METRICS.build(cfg.test_evaluator)
    assert metric.protocol['unit'] == 'raw'
    assert metric.protocol['border'] == 0
    assert metric.protocol['quantize'] == 'uint8'


def test_config_train_sample(data_root):
    cfg = Config.fromfile(str(CONFIGS / 'middlebury2005_dsr_x16.py'))
    dataset_cfg = cfg.train_dataloader.dataset
    dataset_cfg.data_root = str(data_root)
    dataset = DATASETS.build(dataset_cfg)
    assert len(dataset) == 1
    assert dataset.get_data_info(0)['scene'] == 'Aloe'
    sample = dataset[0]['data_samples']
    assert sample.gt_depth.shape == (256, 256)
    assert sample.lr_depth.shape == (16, 16)
    lr = sample.lr_depth.data.numpy()
    np.testing.assert_allclose(lr * 255, np.round(lr * 255), atol=1e-4)
    assert 0 <= lr.min() and lr.max() <= 1
