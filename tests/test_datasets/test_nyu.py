import copy
import os
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config

from mmdepthsr.datasets import (
    NYU13_CLASSES,
    NYU13_PALETTE,
    NYU40_CLASSES,
    NYU40_PALETTE,
    NYUDepthV2Dataset,
    NYULabeledDataset,
    nyu_label_luts,
    nyu_official_test_indices,
    nyu_structure_lut,
)
from mmdepthsr.datasets.transforms import FixedCrop
from mmdepthsr.registry import DATASETS, TRANSFORMS
from mmdepthsr.structures.protocols import NYU_INTRINSICS
from mmdepthsr.testing.nyu import (
    FIXTURE_LABELS,
    MARKER,
    RAW_HOLE,
    RAW_MARKER_PIXEL,
    SYNC_FOCAL,
    write_nyu_labeled_layout,
    write_nyu_sync_layout,
)

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / 'configs'
LOAD_ALL_40 = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDepth', depth_scale=1000),
    dict(type='LoadSemSeg', num_classes=40, reduce_zero_label=True),
    dict(type='LoadNormal', encoding='png'),
]


@pytest.fixture(scope='module')
def labeled(tmp_path_factory):
    root = tmp_path_factory.mktemp('nyu_labeled')
    return write_nyu_labeled_layout(str(root), num_images=6)


@pytest.fixture(scope='module')
def sync(tmp_path_factory):
    root = tmp_path_factory.mktemp('nyu_sync')
    return write_nyu_sync_layout(str(root), num_train=3, test_indices=(0, 1))


# --------------------------------------------------------------- package data


def test_class_maps_and_names():
    lut40, lut13 = nyu_label_luts()
    assert lut40.shape == (895,) and lut13.shape == (41,)
    assert lut40[0] == 0 and lut13[0] == 0
    assert set(lut40[1:]) == set(range(1, 41))
    assert set(lut13[1:]) == set(range(1, 14))
    # Gupta et al.: 894-id 11 'floor' -> 2 floor; 21 'wall' -> 1 wall;
    # 20 'unknown' -> 40 otherprop. Couprie: floor -> 5, door -> wall,
    # curtain -> window, floor mat -> floor.
    assert (lut40[11], lut40[21], lut40[20]) == (2, 1, 40)
    assert (lut13[2], lut13[8], lut13[16], lut13[20]) == (5, 12, 13, 5)
    assert NYU40_CLASSES[0] == 'wall' and NYU40_CLASSES[39] == 'otherprop'
    assert NYU40_CLASSES[23] == 'refridgerator'  # sic, as in the .mat
    assert len(NYU40_CLASSES) == 40 and len(NYU13_CLASSES) == 13
    assert NYU13_CLASSES[lut13[2] - 1] == 'floor'
    assert NYU13_CLASSES[lut13[lut40[21]] - 1] == 'wall'
    for palette, n in ((NYU40_PALETTE, 40), (NYU13_PALETTE, 13)):
        assert len({tuple(c) for c in palette}) == n
        assert [0, 0, 0] not in palette


def test_official_test_indices():
    test = nyu_official_test_indices()
    assert test.shape == (654,)
    assert test[:9].tolist() == [1, 2, 9, 14, 15, 16, 17, 18, 21]
    assert test[-1] == 1449 and (np.diff(test) > 0).all()
    # The DSR test set (1-based 1001..1449) holds 234 official test and
    # 215 official training frames.
    dsr_test = np.arange(1001, 1450)
    assert np.isin(dsr_test, test).sum() == 234
    assert (~np.isin(dsr_test, test)).sum() == 215


# -------------------------------------------------------- NYULabeledDataset


def test_labeled_splits(labeled):
    root = labeled['root']
    assert DATASETS.get('NYULabeledDataset') is NYULabeledDataset
    sizes = {
        split: [
            info['nyu_index']
            for info in NYULabeledDataset(root, split=split).load_data_list()
        ]
        for split in ('train', 'test', 'dsr_train', 'dsr_test', 'all')
    }
    # splits.mat testNdxs 1, 2 (1-based) are frames 0, 1
    assert sizes == dict(
        train=[2, 3, 4, 5],
        test=[0, 1],
        dsr_train=[0, 1, 2, 3],
        dsr_test=[4, 5],
        all=[0, 1, 2, 3, 4, 5],
    )


def test_labeled_data_info(labeled):
    root = labeled['root']
    dataset = NYULabeledDataset(root, split='test')
    info = dataset.get_data_info(1)
    assert info['img_path'] == os.path.join(root, 'images', '0001.png')
    assert info['depth_path'] == os.path.join(root, 'raw_depths', '0001.png')
    assert info['seg_map_path'] is None and info['normal_path'] is None
    assert info['nyu_index'] == 1 and info['sample_idx'] == 1
    assert info['scene'] == 'bedroom_0001a'
    assert info['scene_type'] == 'bedroom'
    assert info['cam_intrinsics'].dtype == np.float64
    np.testing.assert_array_equal(info['cam_intrinsics'], NYU_INTRINSICS)
    info['cam_intrinsics'][0] = 1.0  # a copy per call
    assert dataset.get_data_info(1)['cam_intrinsics'][0] == NYU_INTRINSICS[0]
    assert 'classes' not in dataset.metainfo

    filled = NYULabeledDataset(
        root,
        split='dsr_test',
        depth='filled',
        seg_classes=13,
        with_normal=True,
    ).get_data_info(0)
    assert filled['nyu_index'] == 4
    assert filled['depth_path'].endswith(os.path.join('depths', '0004.png'))
    assert filled['seg_map_path'].endswith(
        os.path.join('labels13', '0004.png')
    )
    assert filled['normal_path'].endswith(os.path.join('normals', '0004.png'))


@pytest.mark.parametrize('classes', [40, 13])
def test_labeled_metainfo(labeled, classes):
    dataset = NYULabeledDataset(labeled['root'], seg_classes=classes)
    names = NYU40_CLASSES if classes == 40 else NYU13_CLASSES
    assert tuple(dataset.metainfo['classes']) == names
    assert len(dataset.metainfo['palette']) == classes
    info = dataset.get_data_info(0)
    assert info['seg_map_path'].endswith(
        os.path.join(f'labels{classes}', '0002.png')
    )


def test_labeled_pipeline_values(labeled):
    dataset = NYULabeledDataset(
        labeled['root'],
        split='test',
        seg_classes=40,
        with_normal=True,
        pipeline=LOAD_ALL_40,
    )
    sample = dataset[0]
    frame = labeled['frames'][0]
    img, depth = sample['img'], sample['gt_depth']
    assert img.shape == (480, 640, 3) and tuple(img[0, 0]) == (255, 0, 0)
    # raw depth in metres = written millimetres / 1000
    assert depth.dtype == np.float32
    assert depth[RAW_MARKER_PIXEL] == np.float32(2718 / 1000)
    assert depth[0, 639] == np.float32(4.0)
    assert not depth[:, :40].any() and not depth[RAW_HOLE].any()
    # 0-based 40 classes, void -> 255
    seg = sample['gt_sem_seg']
    assert seg[0, 0] == 255
    assert seg[479, 0] == FIXTURE_LABELS['floor'][1] - 1
    assert seg[320, 530] == FIXTURE_LABELS['chair'][1] - 1
    assert seg[210, 120] == 39  # 894 -> otherprop
    # normals: floor up, wall towards the camera, zero where raw missing
    normal = sample['gt_normal']
    np.testing.assert_allclose(normal[470, 320], [0, -1, 0], atol=1e-4)
    np.testing.assert_allclose(normal[300, 320], [0, 0, -1], atol=1e-4)
    assert not normal[:, :40].any() and not normal[MARKER].any()
    on_floor = frame['floor'] & (frame['raw_depth'] > 0)
    assert np.abs(normal[on_floor] - [0, -1, 0]).max() < 1e-4


def test_labeled_filled_depth_and_13_classes(labeled):
    dataset = NYULabeledDataset(
        labeled['root'],
        split='dsr_train',
        depth='filled',
        seg_classes=13,
        pipeline=[
            dict(type='LoadRGBImage'),
            dict(type='LoadDepth', depth_scale=1000),
            dict(type='LoadSemSeg', num_classes=13, reduce_zero_label=True),
        ],
    )
    sample = dataset[1]
    assert sample['gt_depth'][0, 0] == np.float32(1.335)  # 1.33456 m
    assert sample['gt_depth'].min() > 0  # in-painted: dense
    seg = sample['gt_sem_seg']
    assert seg[0, 0] == 255
    assert seg[479, 0] == 4  # floor: 13-id 5
    assert seg[0, 639] == 11  # wall: 13-id 12
    assert seg[210, 120] == 6  # 894 -> 40 -> 13-id 7 objects


def test_labeled_4_structure_classes(labeled):
    dataset = NYULabeledDataset(
        labeled['root'],
        split='dsr_train',
        seg_classes=4,
        pipeline=[
            dict(type='LoadRGBImage'),
            dict(type='LoadSemSeg', num_classes=4),
        ],
    )
    assert tuple(dataset.metainfo['classes']) == (
        'floor',
        'structure',
        'furniture',
        'prop',
    )
    assert dataset.get_data_info(1)['seg_map_path'].endswith(
        os.path.join('labels13', '0001.png')
    )
    seg = dataset[1]['gt_sem_seg']
    assert seg[0, 0] == 255  # void
    assert seg[479, 0] == 0  # 13-id 5 floor -> floor
    assert seg[0, 639] == 1  # 13-id 12 wall -> structure
    assert seg[210, 120] == 3  # 13-id 7 objects -> prop
    # the 13 -> 4 table: bed books ceiling chair floor furniture objects
    # picture sofa table tv wall window
    np.testing.assert_array_equal(
        nyu_structure_lut(), [0, 3, 4, 2, 3, 1, 3, 4, 4, 3, 3, 4, 2, 2]
    )
    with pytest.raises(ValueError, match='reduce_zero_label'):
        NYULabeledDataset(
            labeled['root'],
            seg_classes=4,
            pipeline=[
                dict(type='LoadSemSeg', reduce_zero_label=True),
            ],
        )[0]


def test_labeled_errors(tmp_path):
    with pytest.raises(ValueError, match='split must be one of'):
        NYULabeledDataset(str(tmp_path), split='val')
    with pytest.raises(ValueError, match="'raw' or 'filled'"):
        NYULabeledDataset(str(tmp_path), depth='inpainted')
    with pytest.raises(ValueError, match='None, 40, 13 or 4'):
        NYULabeledDataset(str(tmp_path), seg_classes=37)
    with pytest.raises(FileNotFoundError, match='scenes.txt'):
        NYULabeledDataset(str(tmp_path / 'nowhere'))

    root = tmp_path / 'nyu'
    write_nyu_labeled_layout(str(root), num_images=2, dsr_num_train=1)
    os.remove(root / 'splits' / 'train.txt')
    with pytest.raises(FileNotFoundError, match='train.txt'):
        NYULabeledDataset(str(root), split='train')
    (root / 'splits' / 'test.txt').write_text('0\nfirst\n')
    with pytest.raises(ValueError, match='test.txt, line 2'):
        NYULabeledDataset(str(root), split='test')
    (root / 'splits' / 'test.txt').write_text('0\n7\n')
    with pytest.raises(ValueError, match=r'frames \[7\]'):
        NYULabeledDataset(str(root), split='test')
    os.remove(root / 'labels40' / '0001.png')
    with pytest.raises(FileNotFoundError, match='labels40.0001.png'):
        NYULabeledDataset(str(root), split='all', seg_classes=40)
    # without labels the split still loads
    assert len(NYULabeledDataset(str(root), split='all')) == 2
    # lazily: nothing is checked before the first access
    lazy = NYULabeledDataset(
        str(root), split='all', seg_classes=40, lazy_init=True
    )
    with pytest.raises(FileNotFoundError):
        len(lazy)


# -------------------------------------------------------- NYUDepthV2Dataset


def test_sync_train(sync):
    assert DATASETS.get('NYUDepthV2Dataset') is NYUDepthV2Dataset
    dataset = NYUDepthV2Dataset(
        sync['root'],
        split='train',
        pipeline=[
            dict(type='LoadRGBImage'),
            dict(type='LoadDepth', depth_scale=1000),
        ],
    )
    assert len(dataset) == 3  # the 'None' line is skipped
    info = dataset.get_data_info(1)
    written = sync['train'][1]
    assert info['img_path'] == written['img_path']
    assert info['depth_path'] == written['depth_path']
    assert info['img_path'].startswith(os.path.join(sync['root'], 'sync'))
    assert info['focal'] == SYNC_FOCAL
    assert info['scene'] == 'bathroom_0001b'
    assert info['scene_type'] == 'bathroom'
    assert info['nyu_index'] is None
    np.testing.assert_array_equal(info['cam_intrinsics'], NYU_INTRINSICS)
    sample = dataset[1]
    np.testing.assert_array_equal(
        sample['gt_depth'], written['depth_mm'].astype(np.float32) / 1000
    )
    assert sample['img'].shape == (480, 640, 3)
    # JPEG: close to the written RGB
    diff = np.abs(sample['img'].astype(int) - written['img']).mean()
    assert diff < 3

    kept = NYUDepthV2Dataset(sync['root'], split='train', test_mode=True)
    assert len(kept) == 4 and kept.get_data_info(3)['depth_path'] is None
    assert kept.get_data_info(3)['img_path'] == sync['train'][0]['img_path']
    skipped = NYUDepthV2Dataset(
        sync['root'], split='train', test_mode=True, keep_missing_gt=False
    )
    assert len(skipped) == 3


def test_sync_test_split(sync):
    dataset = NYUDepthV2Dataset(sync['root'], split='test', test_mode=True)
    assert len(dataset) == 2
    info = dataset.get_data_info(1)
    assert info['img_path'] == os.path.join(
        sync['root'], 'official_splits', 'test', 'bedroom', 'rgb_00001.jpg'
    )
    assert info['nyu_index'] == 1
    assert info['scene'] is None and info['scene_type'] == 'bedroom'
    # explicit ann_file / data_prefix (relative to data_root)
    custom = NYUDepthV2Dataset(
        sync['root'],
        ann_file='splits/nyudepthv2_test_files_with_gt.txt',
        data_prefix=dict(
            img_path='official_splits/test',
            depth_path='official_splits/test',
        ),
    )
    assert custom.get_data_info(1)['img_path'] == info['img_path']


def test_sync_errors(sync, tmp_path):
    root = sync['root']
    with pytest.raises(ValueError, match='split must be one of'):
        NYUDepthV2Dataset(root, split='val')
    with pytest.raises(FileNotFoundError, match='split file not found'):
        NYUDepthV2Dataset(str(tmp_path), split='test')
    lines = Path(sync['test_file']).read_text().splitlines()

    def check(text, error, match):
        path = tmp_path / 'list.txt'
        path.write_text(text)
        with pytest.raises(error, match=match):
            NYUDepthV2Dataset(
                root,
                ann_file=str(path),
                data_prefix=dict(
                    img_path='official_splits/test',
                    depth_path='official_splits/test',
                ),
            )

    rgb, depth, _ = lines[1].split()
    check(f'{lines[0]}\n{rgb} {depth} 500.0\n', ValueError, 'line 2: focal')
    check(f'{rgb}\n', ValueError, 'line 1: expected')
    check(f'{rgb} {depth} f=518\n', ValueError, 'not a number')
    check(
        f'{rgb} {depth.replace("00001", "00009")} {SYNC_FOCAL}\n',
        FileNotFoundError,
        'sync_depth_00009.png',
    )
    # a wider tolerance accepts another focal
    (tmp_path / 'ok.txt').write_text(f'{rgb} {depth} 520.0\n')
    ok = NYUDepthV2Dataset(
        root,
        ann_file=str(tmp_path / 'ok.txt'),
        data_prefix=dict(
            img_path='official_splits/test',
            depth_path='official_splits/test',
        ),
        focal_tolerance=2.0,
    )
    assert ok.get_data_info(0)['focal'] == 520.0


# ---------------------------------------------------- FixedCrop (BTS crop)

BTS_BOX = (45, 472, 43, 608)


def test_bts_fixed_crop():
    assert TRANSFORMS.get('FixedCrop') is FixedCrop
    img = np.arange(480 * 640 * 3, dtype=np.int64).reshape(480, 640, 3)
    depth = np.random.default_rng(0).random((480, 640)).astype(np.float32)
    results = dict(
        img=img.copy(),
        gt_depth=depth.copy(),
        cam_intrinsics=np.array(NYU_INTRINSICS),
    )
    out = FixedCrop(BTS_BOX)(results)
    assert out['img'].shape == (427, 565, 3)
    assert out['img_shape'] == (427, 565)
    np.testing.assert_array_equal(out['img'], img[45:472, 43:608])
    np.testing.assert_array_equal(out['gt_depth'], depth[45:472, 43:608])
    fx, fy, cx, cy = NYU_INTRINSICS
    np.testing.assert_allclose(
        out['cam_intrinsics'], [fx, fy, cx - 43, cy - 45]
    )
    assert out['crop_box'] == (45, 43, 472, 608)
    with pytest.raises(ValueError, match='smaller than the crop box'):
        FixedCrop(BTS_BOX)(dict(img=np.zeros((240, 320, 3), np.uint8)))
    with pytest.raises(ValueError, match='top < bottom'):
        FixedCrop(box=(10, 5, 0, 10))


# ------------------------------------------------------------------ configs


def _build(cfg, loader, data_root):
    dataset_cfg = copy.deepcopy(cfg[loader]['dataset'])
    dataset_cfg['data_root'] = data_root
    return DATASETS.build(dataset_cfg)


def _millimetres(arrays):
    return np.unique(
        np.concatenate([np.round(np.ravel(a)).astype(int) for a in arrays])
    )


@pytest.mark.parametrize(
    'name,depth_key',
    [('nyu_labeled_depth', 'depth'), ('nyu_sync', None)],
)
def test_depth_configs(name, depth_key, labeled, sync):
    cfg = Config.fromfile(CONFIGS / '_base_' / 'datasets' / f'{name}.py')
    assert cfg.val_evaluator == dict(
        type='DepthMetric', min_depth=1e-3, max_depth=10.0, crop='eigen_nyu'
    )
    if depth_key:
        root = labeled['root']
        train_mm = _millimetres(f['depth'] * 1000 for f in labeled['frames'])
        test_gt = labeled['frames'][0]['raw_depth']
    else:
        root = sync['root']
        train_mm = _millimetres(f['depth_mm'] for f in sync['train'])
        test_gt = sync['test'][0]['depth_mm'] / 1000
    np.random.seed(0)
    train = _build(cfg, 'train_dataloader', root)
    packed = train[0]
    gt = packed['data_samples'].gt_depth.data.numpy()[0]
    assert packed['inputs'].shape == (3, 416, 544)
    assert gt.shape == (416, 544) and gt.dtype == np.float32
    # Crop, rotation and flip resample with nearest neighbour: every value
    # is a written millimetre value / 1000 or 0 (outside after rotation).
    assert np.isin(np.round(gt[gt > 0] * 1000), train_mm).all()
    assert (gt > 0).mean() > 0.9
    test = _build(cfg, 'test_dataloader', root)
    packed = test[0]
    assert packed['inputs'].shape == (3, 480, 640)
    gt = packed['data_samples'].gt_depth.data.numpy()[0]
    np.testing.assert_allclose(gt, np.round(test_gt * 1000) / 1000, atol=1e-6)
    assert not gt[:, :40].any()  # raw ground truth at test time
    meta = packed['data_samples'].metainfo
    np.testing.assert_array_equal(meta['cam_intrinsics'], NYU_INTRINSICS)


@pytest.mark.parametrize('classes', [40, 13])
def test_seg_configs(classes, labeled):
    cfg = Config.fromfile(
        CONFIGS / '_base_' / 'datasets' / f'nyu_labeled_seg{classes}.py'
    )
    assert cfg.val_evaluator == dict(type='SegMetric', num_classes=classes)
    np.random.seed(0)
    train = _build(cfg, 'train_dataloader', labeled['root'])
    assert len(train) == 4 and len(train.metainfo['classes']) == classes
    packed = train[0]
    assert packed['inputs'].shape == (3, 416, 544)
    seg = packed['data_samples'].gt_sem_seg.data.numpy()[0]
    column = 1 if classes == 40 else 2
    known = {ids[column] - 1 for ids in FIXTURE_LABELS.values()} - {-1}
    assert set(np.unique(seg).tolist()) <= known | {255}
    test = _build(cfg, 'val_dataloader', labeled['root'])
    packed = test[1]
    seg = packed['data_samples'].gt_sem_seg.data.numpy()[0]
    labels = labeled['frames'][1][f'labels{classes}'].astype(np.int64) - 1
    labels[labels < 0] = 255
    np.testing.assert_array_equal(seg, labels)


def test_normal_config(labeled):
    cfg = Config.fromfile(
        CONFIGS / '_base_' / 'datasets' / 'nyu_labeled_normal.py'
    )
    assert cfg.val_evaluator == dict(type='NormalMetric')
    np.random.seed(0)
    train = _build(cfg, 'train_dataloader', labeled['root'])
    packed = train[0]
    normal = packed['data_samples'].gt_normal.data.numpy()
    assert normal.shape == (3, 416, 544)
    norm = np.linalg.norm(normal, axis=0)
    assert np.all((np.abs(norm - 1) < 1e-5) | (norm == 0))
    test = _build(cfg, 'test_dataloader', labeled['root'])
    normal = test[0]['data_samples'].gt_normal.data.numpy().transpose(1, 2, 0)
    np.testing.assert_allclose(
        normal, labeled['frames'][0]['normals'], atol=1e-4
    )


@pytest.mark.parametrize(
    'config',
    [
        '_base_/datasets/nyu_eigen2014.py',
        'eigen2014/eigen2014-coarse_alexnet_1xb32-62.5k_nyu-228x304.py',
        'eigen2014/eigen2014-fine_alexnet_1xb32-47k_nyu-228x304.py',
    ],
)
def test_eigen2014_configs(config, sync):
    cfg = Config.fromfile(CONFIGS / config)
    np.random.seed(0)
    train = _build(cfg, 'train_dataloader', sync['root'])
    assert len(train) == 3
    packed = train[0]
    assert packed['inputs'].shape == (3, 228, 304)
    assert packed['data_samples'].gt_depth.shape == (228, 304)
    test = _build(cfg, 'test_dataloader', sync['root'])
    packed = test[1]
    assert packed['inputs'].shape == (3, 228, 304)
    gt = packed['data_samples'].gt_depth.data.numpy()[0]
    np.testing.assert_array_equal(
        gt, sync['test'][1]['depth_mm'].astype(np.float32) / 1000
    )
