"""DSRBenchmarkDataset and the Middlebury / Lu / RGB-D-D protocol, on tiny
synthetic sets written in the shipped formats (8-bit L PNG, 16-bit I;16
PNG, RGB PNG / JPEG)."""

import os
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.dataset import Compose
from PIL import Image

from mmdepthsr.datasets import DSRBenchmarkDataset
from mmdepthsr.registry import RUNNERS
from mmdepthsr.testing.dsr_benchmarks import (
    reference_bicubic_rmse,
    write_dsr_benchmark_set,
)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _step_map(shape, low, high, dtype=np.int64):
    """``low`` on the left, ``high`` right of column ``W // 2``, and a
    raised square: sharp edges that bicubic overshoots."""
    depth = np.full(shape, low, dtype)
    depth[:, shape[1] // 2 :] = high
    depth[2:5, 1:4] = (low + high) // 2
    return depth


def test_pairs_by_sorted_name_units_and_count(tmp_path):
    maps = [_step_map((6, 8), 10 * i, 200) for i in range(1, 4)]
    write_dsr_benchmark_set(str(tmp_path), 'Middlebury', maps)
    dataset = DSRBenchmarkDataset(
        'middlebury', data_root=str(tmp_path), check_num_pairs=False
    )
    assert len(dataset) == 3
    names = [osp.basename(dataset[i]['img_path']) for i in range(3)]
    assert names == [f'Middlebury_0{i}_output_color.png' for i in (1, 2, 3)]
    assert osp.basename(dataset[2]['depth_path']) == (
        'Middlebury_03_output_depth.png'
    )
    assert dataset.metainfo['depth_unit'] == 'raw'
    assert dataset.metainfo['depth_scale'] == 1.0
    # the shipped set has 30 pairs: a partial copy is refused by default
    with pytest.raises(ValueError, match='3 pairs .* the set has 30'):
        DSRBenchmarkDataset('middlebury', data_root=str(tmp_path))
    write_dsr_benchmark_set(str(tmp_path), 'RGBDD', maps[:1])
    rgbdd = DSRBenchmarkDataset(
        'RGBDD', data_root=str(tmp_path), check_num_pairs=False
    )
    assert rgbdd.metainfo['depth_unit'] == 'm'
    assert rgbdd.metainfo['depth_scale'] == 1000.0
    with pytest.raises(ValueError, match='subset must be one of'):
        DSRBenchmarkDataset('nyu', data_root=str(tmp_path))
    with pytest.raises(FileNotFoundError, match='Lu'):
        DSRBenchmarkDataset('lu', data_root=str(tmp_path))


def test_missing_file_cannot_shift_the_pairs(tmp_path):
    maps = [_step_map((6, 8), 10, 200) for _ in range(3)]
    pairs = write_dsr_benchmark_set(str(tmp_path), 'Lu', maps)
    os.remove(pairs[1]['depth_path'])
    with pytest.raises(ValueError, match='3 RGB files .* 2 depth files'):
        DSRBenchmarkDataset('lu', data_root=str(tmp_path))
    os.remove(pairs[2]['img_path'])
    # two and two, but RGBD_01 + RGBD_02 colour against 01 + 03 depth
    with pytest.raises(ValueError, match='pair 1 does not match'):
        DSRBenchmarkDataset(
            'lu', data_root=str(tmp_path), check_num_pairs=False
        )


def test_loading_gives_grey_levels_and_metres(tmp_path):
    lu = np.array([[0, 7, 255], [200, 13, 1]])
    write_dsr_benchmark_set(str(tmp_path), 'Lu', [lu], rgb_value=90)
    mm = np.array([[0, 1500, 65535], [999, 2288, 1]])
    write_dsr_benchmark_set(str(tmp_path), 'RGBDD', [mm], rgb_value=128)
    for subset, expected, rgb in (('lu', lu, 90), ('rgbdd', mm / 1000, 128)):
        dataset = DSRBenchmarkDataset(
            subset, data_root=str(tmp_path), check_num_pairs=False
        )
        depth_path = dataset[0]['depth_path']
        mode = Image.open(depth_path).mode
        assert mode == ('L' if subset == 'lu' else 'I;16')
        load = Compose(
            [
                dict(type='LoadRGBImage'),
                dict(
                    type='LoadDepth',
                    depth_scale=dataset.metainfo['depth_scale'],
                    allow_8bit=subset == 'lu',
                ),
            ]
        )
        out = load(dataset[0])
        np.testing.assert_allclose(out['gt_depth'], expected, rtol=1e-7)
        assert out['gt_depth'].dtype == np.float32
        assert (out['img'] == rgb).all()
    # 1500 mm is 1.5 m exactly, 65535 mm 65.535 m
    assert out['gt_depth'][0, 1] == np.float32(1.5)


def run_bicubic_config(config, data_root, work_dir):
    cfg = Config.fromfile(config)
    cfg.test_dataloader.dataset.data_root = data_root
    cfg.test_dataloader.dataset.check_num_pairs = False
    cfg.test_dataloader.num_workers = 0
    cfg.work_dir = work_dir
    cfg.setdefault('runner_type', 'DenseRunner')
    return RUNNERS.build(cfg).test()


@pytest.mark.slow
@pytest.mark.parametrize(
    'subset,folder,factor,clip',
    [('middlebury', 'Middlebury', 1.0, True), ('rgbdd', 'RGBDD', 0.1, False)],
)
def test_bicubic_config_follows_the_protocol(
    tmp_path, subset, folder, factor, clip
):
    # 18 x 21 maps: the x4 crop keeps 16 x 20; a 0 / 255 step (Middlebury)
    # makes bicubic overshoot, so the clip to [0, 255] matters
    if subset == 'middlebury':
        maps = [_step_map((18, 21), 0, 255), _step_map((18, 21), 30, 220)]
    else:  # millimetres, a hole (0) in the second map
        maps = [_step_map((18, 21), 900, 2400), _step_map((18, 21), 0, 3000)]
    write_dsr_benchmark_set(str(tmp_path), folder, maps)
    config = osp.join(
        ROOT, 'configs', 'bicubic', f'bicubic_x4_{subset}-dsr.py'
    )
    metrics = run_bicubic_config(config, str(tmp_path), str(tmp_path / 'work'))
    # mm -> cm is x 0.1 on the stored values
    expected = np.mean(
        [reference_bicubic_rmse(m, 4, clip, factor) for m in maps]
    )
    assert metrics['rmse'] == pytest.approx(expected, rel=1e-5)
    if clip:
        unclipped = np.mean(
            [reference_bicubic_rmse(m, 4, False, factor) for m in maps]
        )
        assert unclipped - expected > 0.1  # 40.54 vs 40.27 grey levels
    # a wrong crop (centre instead of top-left) changes the number
    shifted = np.mean(
        [reference_bicubic_rmse(m[1:, 1:], 4, clip, factor) for m in maps]
    )
    assert abs(shifted - expected) > 1e-3 * expected
