"""tools/dataset_converters/kitti.py: merge the annotated maps, export the
velodyne ground truth, and read both back through KITTIDataset."""

import importlib.util
import os
import os.path as osp
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmdepthsr.datasets.kitti import KITTIDataset
from mmdepthsr.datasets.transforms.lidar import generate_velodyne_depth
from mmdepthsr.testing.kitti import TEST_FRAMES, write_kitti_dataset

ROOT = Path(__file__).resolve().parents[2]


def _load_tool():
    spec = importlib.util.spec_from_file_location(
        'kitti_converter', ROOT / 'tools' / 'dataset_converters' / 'kitti.py'
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def kitti(tmp_path):
    return write_kitti_dataset(str(tmp_path), annotated_layout='split')


@pytest.mark.parametrize('copy', [False, True])
def test_merge_annotated(kitti, capsys, copy):
    tool = _load_tool()
    out = osp.join(kitti['root'], 'gt_depth')
    split = osp.join(kitti['root'], kitti['splits']['bts_test'])
    argv = ['merge-annotated', kitti['gt_dir'], out, '--split-file', split]
    assert tool.main(argv + (['--copy'] if copy else [])) == 0
    text = capsys.readouterr().out
    assert 'drives: 2 (1 train, 1 val' in text
    assert 'depth maps: 1 train + 2 val = 3' in text
    assert '3 frames, 1 with GT "None", 2 maps found, 0 missing' in text
    drive = osp.join(out, '2011_09_26_drive_0002_sync')
    assert osp.islink(drive) != copy
    # the merged folder is what KITTIDataset reads (BTS layout)
    dataset = KITTIDataset(
        ann_file=kitti['splits']['bts_test'],
        data_root=kitti['root'],
        pipeline=[dict(type='LoadDepth', depth_scale=256)],
    )
    np.testing.assert_array_equal(
        dataset[1]['gt_depth'], kitti['frames'][3]['gt_png'] / 256.0
    )
    # a second run leaves the existing entries alone
    assert tool.main(argv) == 0
    assert '2 already present' in capsys.readouterr().out


def test_merge_reports_missing_maps(kitti, capsys):
    tool = _load_tool()
    frame = kitti['frames'][3]
    os.remove(osp.join(kitti['gt_dir'], 'train', frame['gt']))
    out = osp.join(kitti['root'], 'gt_depth')
    split = osp.join(kitti['root'], kitti['splits']['bts_test'])
    argv = ['merge-annotated', kitti['gt_dir'], out, '--split-file', split]
    assert tool.main(argv) == 1
    text = capsys.readouterr().out
    assert '1 maps found, 1 missing' in text
    assert f'{split}:3 {frame["gt"]}' in text
    with pytest.raises(FileNotFoundError, match='train/ and val/'):
        tool.main(['merge-annotated', kitti['raw_dir'], out])


def test_export_velodyne(kitti, capsys):
    tool = _load_tool()
    out = osp.join(kitti['root'], 'gt_velodyne')
    split = osp.join(kitti['root'], kitti['splits']['bts_test'])
    assert tool.main(['export-velodyne', kitti['raw_dir'], split, out]) == 0
    text = capsys.readouterr().out
    assert '3 frames, 3 written' in text
    assert 'velodyne x (forward) distance' in text
    for i in TEST_FRAMES:
        frame = kitti['frames'][i]
        png = cv2.imread(osp.join(out, frame['rgb']), cv2.IMREAD_UNCHANGED)
        expected = generate_velodyne_depth(
            osp.join(kitti['raw_dir'], frame['date']), frame['velodyne_path']
        )
        assert png.dtype == np.uint16 and png.shape == expected.shape
        np.testing.assert_array_equal(
            png, np.round(expected.astype(np.float64) * 256)
        )
    # read back through the dataset: all 3 frames (None lines included)
    dataset = KITTIDataset(
        ann_file=kitti['splits']['bts_test'],
        data_root=kitti['root'],
        data_prefix=dict(img_path='raw', velodyne_depth_path='gt_velodyne'),
        gt_source='velodyne',
        pipeline=[dict(type='LoadDepth', depth_scale=256)],
    )
    assert len(dataset) == 3
    depth = dataset[1]['gt_depth']
    expected = generate_velodyne_depth(
        osp.join(kitti['raw_dir'], '2011_09_26'),
        kitti['frames'][2]['velodyne_path'],
    )
    assert np.abs(depth - expected).max() <= 1 / 512
    # existing PNGs are kept; a missing scan is reported
    os.remove(kitti['frames'][3]['velodyne_path'])
    assert tool.main(['export-velodyne', kitti['raw_dir'], split, out]) == 1
    text = capsys.readouterr().out
    assert '2 already present' in text and f'{split}:3' in text


def test_export_camera_z_monodepth2_list(kitti, capsys):
    tool = _load_tool()
    out = osp.join(kitti['root'], 'gt_z')
    split = osp.join(kitti['root'], kitti['splits']['mono_train'])
    argv = ['export-velodyne', kitti['raw_dir'], split, out]
    assert tool.main(argv + ['--ann-format', 'monodepth2', '--camera-z']) == 0
    assert 'camera z' in capsys.readouterr().out
    frame = kitti['frames'][1]  # image_03
    png = cv2.imread(osp.join(out, frame['rgb']), cv2.IMREAD_UNCHANGED)
    expected = generate_velodyne_depth(
        osp.join(kitti['raw_dir'], frame['date']),
        frame['velodyne_path'],
        cam=3,
        vel_depth=False,
    )
    np.testing.assert_array_equal(
        png, np.round(expected.astype(np.float64) * 256)
    )
