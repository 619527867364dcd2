"""KITTIDataset on a tiny KITTI layout in the original formats, and the
KITTI dataset configs built on it."""

import os
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

from mmdepthsr.datasets.kitti import KITTIDataset, parse_kitti_split
from mmdepthsr.datasets.transforms.geometric import kb_crop_box
from mmdepthsr.datasets.transforms.lidar import generate_velodyne_depth
from mmdepthsr.evaluation.metrics.depth_metric import crop_window
from mmdepthsr.registry import DATASETS
from mmdepthsr.structures.protocols import KITTI_IMAGE_SHAPES
from mmdepthsr.testing.kitti import write_kitti_dataset

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG_DIR = osp.join(ROOT, 'configs', '_base_', 'datasets')
LOAD = [dict(type='LoadRGBImage'), dict(type='LoadDepth', depth_scale=256)]


@pytest.fixture(scope='module')
def kitti(tmp_path_factory):
    return write_kitti_dataset(str(tmp_path_factory.mktemp('kitti')))


@pytest.fixture(scope='module')
def kitti_full(tmp_path_factory):
    """Full-size frames (375 x 1242 and 370 x 1224) for the configs."""
    return write_kitti_dataset(
        str(tmp_path_factory.mktemp('kitti_full')),
        image_shapes=KITTI_IMAGE_SHAPES,
    )


def _dataset(kitti, split='bts_test', **kwargs):
    kwargs.setdefault('pipeline', LOAD)
    return KITTIDataset(
        ann_file=kitti['splits'][split], data_root=kitti['root'], **kwargs
    )


def test_split_parsing(kitti):
    entries = parse_kitti_split(
        osp.join(kitti['root'], kitti['splits']['bts_test'])
    )
    assert [e['line'] for e in entries] == [1, 2, 3]
    assert entries[1]['gt'] is None and entries[1]['frame'] == 2
    assert entries[0]['focal'] == kitti['frames'][0]['focal']
    mono = parse_kitti_split(
        osp.join(kitti['root'], kitti['splits']['mono_train']), 'monodepth2'
    )
    assert [e['cam'] for e in mono] == [2, 3, 2]
    assert mono[1]['rgb'] == (
        '2011_09_26/2011_09_26_drive_0002_sync/image_03/data/0000000069.png'
    )
    assert mono[1]['gt'] == (
        '2011_09_26_drive_0002_sync/proj_depth/groundtruth/image_03/'
        '0000000069.png'
    )


def test_annotated_skips_none_and_loads_png_over_256(kitti):
    dataset = _dataset(kitti)
    frames = [kitti['frames'][i] for i in (0, 3)]  # the None line is out
    assert len(dataset) == 2 and dataset.num_missing_gt == 1
    for i, frame in enumerate(frames):
        info = dataset.get_data_info(i)
        assert info['img_path'] == frame['img_path']
        assert info['cam_id'] == 2 and info['frame_id'] == frame['frame']
        assert info['depth_path'].endswith(frame['gt'])
        np.testing.assert_array_equal(
            info['cam_intrinsics'], frame['intrinsics']
        )
        assert info['cam_intrinsics'].dtype == np.float64
        sample = dataset[i]
        np.testing.assert_array_equal(sample['img'], frame['img'])
        png = frame['gt_png']
        depth = sample['gt_depth']
        assert depth.dtype == np.float32 and depth.shape == png.shape
        rows, cols = np.nonzero(png)
        for r, c in list(zip(rows, cols))[:5]:
            assert depth[r, c] == png[r, c] / 256.0
        assert np.array_equal(depth == 0, png == 0)
    # intrinsics differ per date: 2011_09_28 has its own calibration
    assert dataset[0]['cam_intrinsics'][0] != dataset[1]['cam_intrinsics'][0]


def test_keep_missing_gt_and_velodyne_source(kitti):
    dataset = _dataset(kitti, skip_missing_gt=False, pipeline=[])
    assert len(dataset) == 3 and dataset.get_data_info(1)['depth_path'] is None

    dataset = _dataset(
        kitti,
        gt_source='velodyne',
        pipeline=[dict(type='LoadRGBImage'), dict(type='LoadVelodyneDepth')],
    )
    assert len(dataset) == 3  # every frame has a scan
    frame = kitti['frames'][2]
    info = dataset.get_data_info(1)
    assert info['velodyne_path'] == frame['velodyne_path']
    assert info['calib_dir'] == osp.join(kitti['raw_dir'], '2011_09_26')
    expected = generate_velodyne_depth(
        info['calib_dir'], frame['velodyne_path'], cam=2
    )
    depth = dataset[1]['gt_depth']
    np.testing.assert_array_equal(depth, expected)
    assert (depth > 0).sum() > 100 and depth.max() <= 70.0


def test_monodepth2_lists(kitti):
    dataset = _dataset(kitti, 'mono_test', ann_format='monodepth2')
    assert len(dataset) == 2 and dataset.num_missing_gt == 1
    np.testing.assert_array_equal(
        dataset[0]['gt_depth'], kitti['frames'][0]['gt_png'] / 256.0
    )
    dataset = _dataset(
        kitti,
        'mono_train',
        ann_format='monodepth2',
        gt_source='velodyne',
        pipeline=[],
    )
    assert [dataset.get_data_info(i)['cam_id'] for i in (0, 1)] == [2, 3]
    # the right camera's intrinsics come from P_rect_03
    np.testing.assert_array_equal(
        dataset.get_data_info(1)['cam_intrinsics'],
        kitti['calib']['2011_09_26']['intrinsics'][3],
    )


def test_exported_velodyne_pngs(kitti, tmp_path):
    rel = osp.splitext(kitti['frames'][0]['rgb'])[0] + '.png'
    path = tmp_path / 'gt_velodyne' / rel
    path.parent.mkdir(parents=True)
    path.write_bytes(b'')
    split = tmp_path / 'one.txt'
    split.write_text(
        f'{kitti["frames"][0]["rgb"]} None {kitti["frames"][0]["focal"]}\n'
    )
    dataset = KITTIDataset(
        ann_file=str(split),
        data_prefix=dict(
            img_path=kitti['raw_dir'],
            velodyne_depth_path=str(tmp_path / 'gt_velodyne'),
        ),
        gt_source='velodyne',
    )
    assert dataset.get_data_info(0)['depth_path'] == str(path)


def _write_split(tmp_path, lines):
    path = tmp_path / 'split.txt'
    path.write_text('\n'.join(lines) + '\n')
    return str(path)


def test_errors_name_file_and_line(kitti, tmp_path):
    frame = kitti['frames'][0]
    good = f'{frame["rgb"]} {frame["gt"]} {frame["focal"]}'
    cases = [
        (f'{frame["rgb"]} {frame["gt"]}', ValueError, '3 columns'),
        (f'{frame["rgb"]} {frame["gt"]} f', ValueError, 'not a number'),
        (f'a/b.png {frame["gt"]} 1.0', ValueError, 'image path'),
        (
            f'{frame["rgb"].replace("69", "70")} None {frame["focal"]}',
            FileNotFoundError,
            'image not found',
        ),
        (
            f'{frame["rgb"]} {frame["gt"].replace("image_02", "image_03")} '
            f'{frame["focal"]}',
            ValueError,
            'is not frame 69 of image_02',
        ),
        (
            f'{frame["rgb"]} {frame["gt"]} {frame["focal"] + 0.5}',
            ValueError,
            'calib_cam_to_cam.txt by more than focal_tolerance',
        ),
    ]
    for bad, error, message in cases:
        split = _write_split(tmp_path, [good, bad])
        with pytest.raises(error, match=message) as info:
            KITTIDataset(
                ann_file=split,
                data_prefix=dict(
                    img_path=kitti['raw_dir'], depth_path=kitti['gt_dir']
                ),
            )
        assert f'{split}:2' in str(info.value)
    frame3 = kitti['frames'][3]
    os.rename(
        osp.join(kitti['gt_dir'], frame3['gt']),
        osp.join(kitti['gt_dir'], frame3['gt'] + '.bak'),
    )
    try:
        with pytest.raises(FileNotFoundError, match='annotated depth map'):
            _dataset(kitti)
    finally:
        os.rename(
            osp.join(kitti['gt_dir'], frame3['gt'] + '.bak'),
            osp.join(kitti['gt_dir'], frame3['gt']),
        )
    with pytest.raises(FileNotFoundError, match='split file not found'):
        KITTIDataset(ann_file=str(tmp_path / 'none.txt'))
    with pytest.raises(ValueError, match='gt_source'):
        KITTIDataset(ann_file='x', gt_source='lidar')


def test_missing_calibration_falls_back_to_focal(tmp_path):
    kitti = write_kitti_dataset(str(tmp_path))
    os.remove(osp.join(kitti['raw_dir'], '2011_09_28', 'calib_cam_to_cam.txt'))
    dataset = _dataset(kitti, pipeline=[])
    frame = kitti['frames'][3]
    h, w = frame['image_shape']
    np.testing.assert_array_equal(
        dataset.get_data_info(1)['cam_intrinsics'],
        [frame['focal'], frame['focal'], (w - 1) / 2, (h - 1) / 2],
    )
    with pytest.raises(FileNotFoundError, match='calib_cam_to_cam.txt'):
        _dataset(kitti, 'mono_test', ann_format='monodepth2')
    with pytest.raises(FileNotFoundError, match='calibration file'):
        _dataset(kitti, gt_source='velodyne')


def test_garg_and_eigen_windows_lie_inside_the_kb_crop():
    for shape in KITTI_IMAGE_SHAPES.values():
        top, bottom, left, right = kb_crop_box(shape)
        for crop in ('garg', 'eigen_kitti'):
            t, b, le, r = crop_window(crop, shape)
            assert top <= t < b <= bottom and left <= le < r <= right
    # the MDE toolbox convention: Garg fractions of the 352 x 1216 crop
    assert crop_window('garg', (352, 1216)) == (143, 349, 43, 1172)


def _build(cfg_name, kitti_root, which):
    cfg = Config.fromfile(osp.join(CONFIG_DIR, cfg_name))
    dataset_cfg = cfg[which].dataset
    dataset_cfg.data_root = kitti_root
    return DATASETS.build(dataset_cfg)


def test_annotated_configs(kitti_full):
    root = kitti_full['root']
    frame = kitti_full['frames'][0]
    png = frame['gt_png']

    dataset = _build('kitti_eigen_annotated.py', root, 'test_dataloader')
    assert len(dataset) == 2  # the None line is skipped
    packed = dataset[0]
    sample = packed['data_samples']
    assert tuple(packed['inputs'].shape) == (3, 352, 1216)
    assert sample.gt_depth.shape == (375, 1242)  # full-resolution GT
    assert sample.gt_crop_box == (23, 375, 13, 1229)
    k = frame['intrinsics']
    np.testing.assert_allclose(
        sample.cam_intrinsics, [k[0], k[1], k[2] - 13, k[3] - 23]
    )
    gt = sample.gt_depth.data[0].numpy()
    np.testing.assert_array_equal(gt, png / 256.0)

    dataset = _build(
        'kitti_eigen_annotated_kbcrop_gt.py', root, 'test_dataloader'
    )
    sample = dataset[1]['data_samples']  # the 370 x 1224 frame
    assert sample.gt_depth.shape == (352, 1216)
    assert 'gt_crop_box' not in sample
    np.testing.assert_array_equal(
        sample.gt_depth.data[0].numpy(),
        kitti_full['frames'][3]['gt_png'][18:370, 4:1220] / 256.0,
    )

    dataset = _build('kitti_eigen_annotated.py', root, 'train_dataloader')
    assert len(dataset) == 3
    packed = dataset[1]  # the image_03 frame
    assert tuple(packed['inputs'].shape) == (3, 352, 704)
    gt = packed['data_samples'].gt_depth.data
    assert gt.shape == (1, 352, 704) and gt.max() < 96


def test_velodyne_and_eigen2014_configs(kitti_full):
    root = kitti_full['root']
    dataset = _build('kitti_eigen_velodyne.py', root, 'test_dataloader')
    assert len(dataset) == 3  # no frame is skipped
    sample = dataset[1]['data_samples']
    frame = kitti_full['frames'][2]
    expected = generate_velodyne_depth(
        osp.join(kitti_full['raw_dir'], '2011_09_26'), frame['velodyne_path']
    )
    assert sample.gt_crop_box == (23, 375, 13, 1229)
    np.testing.assert_array_equal(sample.gt_depth.data[0].numpy(), expected)
    for name in ('kitti_eigen_velodyne.py', 'kitti_eigen_velodyne_cap50.py'):
        cfg = Config.fromfile(osp.join(CONFIG_DIR, name))
        assert cfg.test_evaluator.crop == 'garg'
        assert cfg.test_evaluator.max_depth == (50.0 if '50' in name else 80)

    dataset = _build('kitti_eigen2014.py', root, 'train_dataloader')
    assert [dataset.get_data_info(i)['cam_id'] for i in (0, 1)] == [2, 3]
    packed = dataset[1]
    assert tuple(packed['inputs'].shape) == (3, 172, 576)
    gt = packed['data_samples'].gt_depth.data
    # RandomScale divides depth by s in [1, 1.5]; scans reach 70 m
    assert gt.shape == (1, 172, 576) and 0 < gt.max() <= 70.0

    dataset = _build('kitti_eigen2014.py', root, 'test_dataloader')
    packed = dataset[2]  # 2011_09_28: 370 x 1224
    assert tuple(packed['inputs'].shape) == (3, 172, 576)
    assert packed['data_samples'].gt_depth.shape == (370, 1224)
