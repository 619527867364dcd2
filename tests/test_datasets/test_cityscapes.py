"""CityscapesDataset, its label table, camera files and configs."""

import json
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from PIL import Image

from mmdepthsr.datasets.cityscapes import (
    CITYSCAPES_CATEGORIES_7,
    CITYSCAPES_CLASSES_19,
    CITYSCAPES_LABELS,
    CITYSCAPES_PALETTE_19,
    CityscapesDataset,
    cityscapes_label_map,
    read_cityscapes_camera,
)
from mmdepthsr.registry import DATASETS, METRICS
from mmdepthsr.testing.cityscapes import (
    KNOWN_DISPARITY,
    KNOWN_LABEL_IDS,
    REAL_BASELINE,
    write_cityscapes,
    write_cityscapes_camera,
)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG_DIR = osp.join(ROOT, 'configs', '_base_', 'datasets')


@pytest.fixture(scope='module')
def tree(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('cityscapes'))
    return write_cityscapes(root, frames_per_city=2)


def _load(pipeline_root, split='val', **kwargs):
    return CityscapesDataset(data_root=pipeline_root, split=split, **kwargs)


def _raw_pipeline():
    return [
        dict(type='LoadRGBImage'),
        dict(type='LoadDisparityDepth'),
        dict(type='LoadSemSeg'),
    ]


# ------------------------------------------------------------ label table
def test_label_table_and_class_lists():
    drawn = [lab for lab in CITYSCAPES_LABELS if lab.id >= 0]
    assert [lab.id for lab in drawn] == list(range(34))
    assert len(CITYSCAPES_CLASSES_19) == 19
    assert CITYSCAPES_CLASSES_19[0] == 'road'
    assert CITYSCAPES_CLASSES_19[13] == 'car'
    assert CITYSCAPES_CLASSES_19[18] == 'bicycle'
    assert CITYSCAPES_PALETTE_19[13] == (0, 0, 142)
    assert CITYSCAPES_CATEGORIES_7 == (
        'flat',
        'construction',
        'object',
        'nature',
        'sky',
        'human',
        'vehicle',
    )
    plate = [lab for lab in CITYSCAPES_LABELS if lab.name == 'license plate']
    assert plate[0].id == -1 and plate[0].category_id == 7


def test_label_maps_19_and_7():
    lut19 = cityscapes_label_map(19)
    assert lut19.shape == (34,)
    assert lut19[7] == 0  # road
    assert lut19[26] == 13  # car
    assert lut19[33] == 18  # bicycle
    assert lut19[0] == 255  # unlabeled
    assert lut19[9] == 255  # parking: not evaluated
    assert lut19[29] == 255  # caravan
    assert sorted(set(lut19.tolist()) - {255}) == list(range(19))
    lut7 = cityscapes_label_map(7)
    assert lut7[7] == 0  # road -> flat
    assert lut7[9] == 0  # parking -> flat
    assert lut7[26] == 6  # car -> vehicle
    assert lut7[29] == 6  # caravan -> vehicle
    assert lut7[24] == 5  # person -> human
    assert lut7[23] == 4  # sky
    assert lut7[14] == 1  # guard rail -> construction
    assert lut7[18] == 2  # polegroup -> object
    assert (lut7[:7] == 255).all()  # void
    with pytest.raises(ValueError, match='19 or 7'):
        cityscapes_label_map(8)


# ------------------------------------------------------------ camera file
def test_read_camera_json(tmp_path):
    path = str(tmp_path / 'cam.json')
    write_cityscapes_camera(path, 0.22, (2262.52, 2265.3, 1096.98, 513.1))
    camera = read_cityscapes_camera(path)
    assert camera['stereo_baseline'] == 0.22
    assert camera['cam_intrinsics'].dtype == np.float64
    np.testing.assert_array_equal(
        camera['cam_intrinsics'], [2262.52, 2265.3, 1096.98, 513.1]
    )


def test_read_camera_json_errors(tmp_path):
    path = tmp_path / 'bad_cam.json'
    path.write_text(json.dumps({'intrinsic': {'fx': 1, 'fy': 1}}))
    with pytest.raises(
        ValueError, match=r'bad_cam\.json.*extrinsic\.baseline'
    ):
        read_cityscapes_camera(str(path))
    good = {
        'extrinsic': {'baseline': 0.2},
        'intrinsic': {'fx': 2000, 'fy': 2000, 'u0': 1000, 'v0': 500},
    }
    path.write_text(json.dumps(dict(good, intrinsic={'fx': 1, 'fy': 1})))
    with pytest.raises(ValueError, match=r'bad_cam\.json.*intrinsic\.u0'):
        read_cityscapes_camera(str(path))
    path.write_text(json.dumps(dict(good, extrinsic={'baseline': -0.2})))
    with pytest.raises(ValueError, match=r'bad_cam\.json.*baseline.*-0\.2'):
        read_cityscapes_camera(str(path))
    path.write_text(json.dumps(dict(good, extrinsic={'baseline': 'x'})))
    with pytest.raises(ValueError, match=r'bad_cam\.json.*not a number'):
        read_cityscapes_camera(str(path))
    path.write_text('{"extrinsic": ')
    with pytest.raises(ValueError, match=r'bad_cam\.json.*not valid JSON'):
        read_cityscapes_camera(str(path))
    with pytest.raises(FileNotFoundError, match=r'no_cam\.json'):
        read_cityscapes_camera(str(tmp_path / 'no_cam.json'))


# ---------------------------------------------------------------- listing
def test_dataset_lists_frames_with_camera_and_label_map(tree):
    dataset = _load(tree['root'], 'train')
    written = tree['samples']['train']
    assert len(dataset) == 4  # two cities x two frames
    assert dataset.metainfo['classes'] == CITYSCAPES_CLASSES_19
    for idx, frame in enumerate(written):
        info = dataset.get_data_info(idx)
        assert info['frame_id'] == frame['frame_id']
        for key in ('img_path', 'disparity_path', 'seg_map_path'):
            assert info[key] == frame[key]
        assert info['camera_path'] == frame['camera_path']
        assert info['stereo_baseline'] == pytest.approx(
            frame['stereo_baseline']
        )
        np.testing.assert_allclose(
            info['cam_intrinsics'], frame['cam_intrinsics']
        )
        np.testing.assert_array_equal(
            info['label_map'], cityscapes_label_map(19)
        )
    # Second city has its own camera (baseline + 1 mm).
    assert dataset.get_data_info(2)['city'] == 'bochum'
    assert dataset.get_data_info(2)['stereo_baseline'] == pytest.approx(
        REAL_BASELINE + 0.001
    )


def test_dataset_class_settings(tree):
    seven = _load(tree['root'], seg_classes=7)
    assert seven.metainfo['classes'] == CITYSCAPES_CATEGORIES_7
    assert len(seven.metainfo['palette']) == 7
    np.testing.assert_array_equal(
        seven.get_data_info(0)['label_map'], cityscapes_label_map(7)
    )
    depth_only = _load(tree['root'], seg_classes=None)
    info = depth_only.get_data_info(0)
    assert 'seg_map_path' not in info and 'label_map' not in info
    assert depth_only.metainfo['classes'] == ()
    seg_only = _load(tree['root'], with_depth=False)
    info = seg_only.get_data_info(0)
    assert 'disparity_path' not in info
    assert info['stereo_baseline'] == pytest.approx(REAL_BASELINE)
    with pytest.raises(ValueError, match='split'):
        _load(tree['root'], 'trainval')
    with pytest.raises(ValueError, match='seg_classes'):
        _load(tree['root'], seg_classes=20)


def test_dataset_seg_only_without_camera_and_train_extra(tmp_path):
    root = str(tmp_path)
    write_cityscapes(
        root, splits=('val',), with_disparity=False, with_camera=False
    )
    info = _load(root, with_depth=False).get_data_info(0)
    assert 'cam_intrinsics' not in info and 'seg_map_path' in info
    with pytest.raises(FileNotFoundError, match=r'disparity.*disparity_'):
        _load(root)
    # train_extra has coarse labels only.
    write_cityscapes(root, splits=('train_extra',), with_labels=False)
    with pytest.raises(FileNotFoundError, match=r'gtCoarse.*gtCoarse\.zip'):
        _load(root, 'train_extra')
    extra = _load(root, 'train_extra', seg_classes=None)
    assert [extra.get_data_info(i)['city'] for i in range(2)] == [
        'bad-honnef',
        'dortmund',
    ]


def test_dataset_errors_name_files(tmp_path):
    root = str(tmp_path)
    with pytest.raises(FileNotFoundError, match='leftImg8bit_trainvaltest'):
        _load(root)
    tree = write_cityscapes(root, splits=('val',))
    frame = tree['samples']['val'][1]
    os.remove(frame['disparity_path'])
    with pytest.raises(FileNotFoundError, match=frame['frame_id']):
        _load(root)
    write_cityscapes(root, splits=('val',))
    with open(frame['camera_path'], 'w') as f:
        json.dump({'intrinsic': {'fx': 1.0}}, f)
    with pytest.raises(ValueError, match=r'lindau.*camera\.json.*baseline'):
        _load(root)
    write_cityscapes(root, splits=('val',))
    odd = osp.join(root, 'leftImg8bit', 'val', 'lindau', 'x_leftImg8bit.png')
    Image.new('RGB', (4, 4)).save(odd)
    with pytest.raises(ValueError, match=r'x_leftImg8bit\.png.*not named'):
        _load(root)


# ------------------------------------------------------- loaded values
def test_pipeline_depth_and_labels_values(tree):
    frame = tree['samples']['val'][0]
    dataset = _load(tree['root'], pipeline=_raw_pipeline())
    sample = dataset[0]
    np.testing.assert_array_equal(sample['img'], frame['img'])
    depth = sample['gt_depth']
    b_fx = frame['stereo_baseline'] * frame['cam_intrinsics'][0]
    # KNOWN_DISPARITY = (0, 1, 257, 2561): invalid, zero disparity
    # (invalid), 1 px, 10 px.
    assert KNOWN_DISPARITY == (0, 1, 257, 2561)
    np.testing.assert_allclose(
        depth[0, :4], [0.0, 0.0, b_fx / 1.0, b_fx / 10.0], rtol=1e-6
    )
    p = frame['disparity'].astype(np.float64)
    valid = p > 1
    np.testing.assert_array_equal(depth > 0, valid)
    np.testing.assert_allclose(
        depth[valid], b_fx / ((p[valid] - 1) / 256), rtol=1e-6
    )
    # KNOWN_LABEL_IDS = (7 road, 26 car, 0 unlabeled, 24 person, 9 parking)
    assert KNOWN_LABEL_IDS == (7, 26, 0, 24, 9)
    np.testing.assert_array_equal(
        sample['gt_sem_seg'][0, :5], [0, 13, 255, 11, 255]
    )
    np.testing.assert_array_equal(
        sample['gt_sem_seg'], cityscapes_label_map(19)[frame['label_ids']]
    )
    seven = _load(tree['root'], seg_classes=7, pipeline=_raw_pipeline())[0]
    np.testing.assert_array_equal(
        seven['gt_sem_seg'][0, :5], [0, 6, 255, 5, 0]
    )


def test_resized_depth_gives_nearest_resized_disparity(tree):
    """Resize by 1/4 (2048 -> 512 in the real data) reproduces the
    Auto-Lambda target: the PNG resized with PIL nearest, (p - 1) / (256 *
    4) px, from baseline * fx' / depth with the scaled fx'."""
    frame = tree['samples']['val'][1]
    pipeline = _raw_pipeline() + [dict(type='Resize', scale=(16, 32))]
    sample = _load(tree['root'], pipeline=pipeline)[1]
    fx_small = sample['cam_intrinsics'][0]
    assert fx_small == pytest.approx(frame['cam_intrinsics'][0] / 4)
    depth = sample['gt_depth']
    ours = np.zeros_like(depth, dtype=np.float64)
    ours[depth > 0] = sample['stereo_baseline'] * fx_small / depth[depth > 0]
    png = Image.open(frame['disparity_path'])
    p = np.asarray(png.resize((32, 16), resample=Image.NEAREST), np.float64)
    direct = np.where(p > 1, (p - 1) / (256 * 4), 0.0)
    np.testing.assert_array_equal(ours > 0, direct > 0)
    np.testing.assert_allclose(ours, direct, rtol=1e-6)


# ----------------------------------------------------------------- configs
def _dataset_from_config(name, loader, root):
    cfg = Config.fromfile(osp.join(CONFIG_DIR, name))
    dataset_cfg = cfg[loader].dataset.copy()
    dataset_cfg.data_root = root
    return cfg, DATASETS.build(dataset_cfg)


def _build_evaluators(cfg):
    built = []
    for metric in cfg.val_evaluator:
        if METRICS.get(metric['type']) is None:
            continue  # SegMetric is optional here
        built.append(METRICS.build(metric))
    return built


@pytest.mark.parametrize(
    'name, classes',
    [
        ('cityscapes_depth_seg19_256x512.py', 19),
        ('cityscapes_depth_seg7_256x512.py', 7),
    ],
)
def test_multitask_configs_load_samples(tree, name, classes):
    frame = tree['samples']['val'][0]
    cfg, val_set = _dataset_from_config(name, 'val_dataloader', tree['root'])
    assert len(val_set) == 4
    packed = val_set[0]
    sample = packed['data_samples']
    assert packed['inputs'].shape == (3, 256, 512)
    assert sample.gt_depth.data.shape == (1, 256, 512)
    assert sample.gt_sem_seg.data.shape == (1, 256, 512)
    # 64 x 128 -> 256 x 512: fx x 4, and output pixel (0, 8..11) comes from
    # source pixel (0, 2), whose disparity is 1 px -> depth baseline * fx.
    np.testing.assert_allclose(
        sample.cam_intrinsics[:2], np.array(frame['cam_intrinsics'][:2]) * 4
    )
    assert sample.stereo_baseline == pytest.approx(frame['stereo_baseline'])
    b_fx = frame['stereo_baseline'] * frame['cam_intrinsics'][0]
    np.testing.assert_allclose(
        sample.gt_depth.data[0, 0, 8:12].numpy(), b_fx, rtol=1e-6
    )
    # Disparity at 512 width = 4 x the one of the 128-wide source.
    disparity = sample.stereo_baseline * sample.cam_intrinsics[0] / b_fx
    assert disparity == pytest.approx(4.0)
    labels = sample.gt_sem_seg.data[0, 0, :20:4].tolist()
    expected = cityscapes_label_map(classes)[list(KNOWN_LABEL_IDS)]
    assert labels == expected.tolist()
    assert set(np.unique(sample.gt_sem_seg.data.numpy())) <= set(
        range(classes)
    ) | {255}
    assert val_set.metainfo['classes'][0] in ('road', 'flat')
    assert len(val_set.metainfo['classes']) == classes

    _, train_set = _dataset_from_config(name, 'train_dataloader', tree['root'])
    assert len(train_set) == 4
    assert train_set[3]['inputs'].shape == (3, 256, 512)

    metrics = _build_evaluators(cfg)
    evaluators = {type(m).__name__: m for m in metrics}
    assert evaluators['DepthMetric'].max_depth == 200.0
    assert evaluators['DepthMetric'].prefix == 'depth'
    assert evaluators['DisparityMetric'].averaging == 'pixel'
    seg = [m for m in cfg.val_evaluator if m['type'] == 'SegMetric']
    assert seg[0]['num_classes'] == classes
    if 'SegMetric' not in evaluators:
        return
    # A perfect prediction through the whole evaluator: distinct keys,
    # zero errors.
    sample.pred_depth = sample.gt_depth.clone()
    sample.pred_sem_seg = sample.gt_sem_seg.clone()
    evaluator = Evaluator(metrics)
    evaluator.process([sample.to_dict()])
    out = evaluator.evaluate(1)
    assert out['depth/abs_rel'] == pytest.approx(0.0)
    assert out['disp_abs_err'] == pytest.approx(0.0)
    assert out['mIoU'] == pytest.approx(100.0)


def test_full_resolution_depth_config(tree):
    from mmdepthsr.evaluation.metrics import DisparityMetric

    frame = tree['samples']['val'][0]
    cfg, val_set = _dataset_from_config(
        'cityscapes_depth_1024x2048.py', 'val_dataloader', tree['root']
    )
    packed = val_set[0]
    sample = packed['data_samples']
    assert packed['inputs'].shape == (3, 352, 1216)
    assert sample.gt_depth.data.shape == (1, 64, 128)  # kept at full size
    assert 'gt_sem_seg' not in sample
    # The metric rescales fx to the ground-truth width: a prediction of
    # twice the depth halves the disparity, so the error is half the GT
    # disparity (p - 1) / 256 of the source resolution.
    metric = DisparityMetric(averaging='pixel')
    sample.pred_depth = sample.gt_depth.clone()
    sample.pred_depth.data = sample.gt_depth.data * 2
    metric.process(None, [sample.to_dict()])
    p = frame['disparity'].astype(np.float64)
    expected = np.mean((p[p > 1] - 1) / 256 / 2)
    assert metric.compute_metrics(metric.results)['disp_abs_err'] == (
        pytest.approx(expected, rel=1e-6)
    )
    _, train_set = _dataset_from_config(
        'cityscapes_depth_1024x2048.py', 'train_dataloader', tree['root']
    )
    assert train_set[0]['inputs'].shape == (3, 352, 704)
    names = [m['type'] for m in cfg.val_evaluator]
    assert names == ['DepthMetric', 'DisparityMetric']
    assert cfg.val_evaluator[0]['crop'] == 'garg'
