"""DepthFolderDataset on folders written by mmdepthsr.testing."""

import logging
import os

import cv2
import numpy as np
import pytest
from mmengine.logging import MMLogger

from mmdepthsr.datasets import DepthFolderDataset
from mmdepthsr.testing.depth_folder import write_depth_folder

LOAD = [dict(type='LoadRGBImage'), dict(type='LoadDepth')]


def test_every_image_without_split_files(tmp_path):
    data = write_depth_folder(str(tmp_path), num=3, labels=True)
    dataset = DepthFolderDataset(data_root=str(tmp_path), pipeline=LOAD)
    assert len(dataset) == 3
    assert dataset.metainfo['depth_unit'] == 'metres'
    info = dataset.get_data_info(1)
    assert info['stem'] == 'frame_001' and info['sample_idx'] == 1
    assert info['img_path'] == str(tmp_path / 'rgb' / 'frame_001.png')
    assert info['depth_path'] == str(tmp_path / 'depth' / 'frame_001.png')
    assert info['depth_scale'] == 1000.0
    # label_dir not given: no label path even though the folder exists
    assert 'seg_map_path' not in info and 'lr_depth_path' not in info
    assert 'cam_intrinsics' not in info
    for i, frame in enumerate(data['frames']):
        sample = dataset[i]
        # the dataset's depth_scale reaches LoadDepth: millimetres -> metres
        np.testing.assert_array_equal(sample['gt_depth'], frame['depth'])
        np.testing.assert_array_equal(sample['img'], frame['img'])
        assert 1.0 < np.median(sample['gt_depth']) < 10.0


def test_split_files_labels_lr_and_intrinsics(tmp_path):
    data = write_depth_folder(
        str(tmp_path),
        num=4,
        shape=(48, 64),
        lr_scale=8,
        labels=True,
        splits=dict(train=[3, 0, 2], val=[1]),
    )
    pipeline = [
        *LOAD,
        dict(type='LoadDepth', key='lr_depth', path_key='lr_depth_path'),
        dict(type='LoadSemSeg', num_classes=6),
    ]
    k = data['cam_intrinsics']
    train = DepthFolderDataset(
        data_root=str(tmp_path),
        split='train',
        lr_depth_dir='lr_depth',
        label_dir='labels',
        cam_intrinsics=k,
        pipeline=pipeline,
        metainfo=dict(classes=('a', 'b', 'c', 'd', 'e', 'f')),
    )
    # the order of the split file
    assert [train.get_data_info(i)['stem'] for i in range(3)] == [
        'frame_003',
        'frame_000',
        'frame_002',
    ]
    assert len(train.metainfo['classes']) == 6
    sample = train[0]
    frame = data['frames'][3]
    assert sample['scale_factor'] == 8
    assert sample['lr_depth'].shape == (6, 8)
    np.testing.assert_array_equal(sample['lr_depth'], frame['lr_depth'])
    np.testing.assert_array_equal(sample['gt_sem_seg'], frame['labels'])
    assert sample['cam_intrinsics'] == k
    val = DepthFolderDataset(data_root=str(tmp_path), split='val')
    assert len(val) == 1 and val.get_data_info(0)['stem'] == 'frame_001'


def test_float_npy_jpg_and_depth_scale_none(tmp_path):
    data = write_depth_folder(
        str(tmp_path), num=2, depth_format='npy', img_ext='.jpg'
    )
    dataset = DepthFolderDataset(
        data_root=str(tmp_path), depth_scale=None, pipeline=LOAD
    )
    assert dataset.get_data_info(0)['img_path'].endswith('frame_000.jpg')
    sample = dataset[0]
    np.testing.assert_array_equal(
        sample['gt_depth'], data['frames'][0]['depth']
    )
    assert sample['img'].shape == (48, 64, 3)
    # float metres with the default depth_scale (for integer files): refused
    # instead of divided by 1000
    dataset = DepthFolderDataset(data_root=str(tmp_path), pipeline=LOAD)
    with pytest.raises(ValueError, match=r'frame_000\.npy stores floats'):
        dataset[0]


def test_depth_scale_conflict_and_8bit(tmp_path):
    data = write_depth_folder(str(tmp_path), num=1)
    conflict = [dict(type='LoadDepth', depth_scale=256)]
    with pytest.raises(ValueError, match='depth_scale=1000.0 but LoadDepth'):
        DepthFolderDataset(data_root=str(tmp_path), pipeline=conflict)[0]
    # the same value in both places is fine
    same = [dict(type='LoadDepth', depth_scale=1000)]
    depth = DepthFolderDataset(data_root=str(tmp_path), pipeline=same)[0]
    np.testing.assert_array_equal(
        depth['gt_depth'], data['frames'][0]['depth']
    )
    # an 8-bit depth PNG is refused, naming the file
    path = data['frames'][0]['paths']['depth']
    cv2.imwrite(path, np.full((48, 64), 200, np.uint8))
    with pytest.raises(ValueError, match=r'frame_000\.png is 8-bit'):
        DepthFolderDataset(data_root=str(tmp_path), pipeline=LOAD)[0]


def test_missing_and_ambiguous_files_name_them(tmp_path):
    write_depth_folder(
        str(tmp_path), num=3, lr_scale=4, splits=dict(train=[0, 1, 2])
    )
    root = str(tmp_path)
    split_file = os.path.join(root, 'splits', 'train.txt')
    os.remove(tmp_path / 'depth' / 'frame_001.png')
    with pytest.raises(FileNotFoundError) as info:
        DepthFolderDataset(data_root=root, split='train')
    message = str(info.value)
    assert f'{split_file}:2' in message
    assert "'frame_001'" in message and str(tmp_path / 'depth') in message
    assert 'frame_001.png, frame_001.npy' in message
    # without a split file, an RGB image without depth fails the same way
    with pytest.raises(
        FileNotFoundError,
        match=r"rgb/frame_001\.png: no file for stem 'frame_001'",
    ):
        DepthFolderDataset(data_root=root)
    np.save(tmp_path / 'depth' / 'frame_001.npy', np.ones((48, 64)))
    np.save(tmp_path / 'depth' / 'frame_002.npy', np.ones((48, 64)))
    with pytest.raises(
        ValueError, match=r'2 files .*frame_002\.npy, frame_002\.png; keep one'
    ):
        DepthFolderDataset(data_root=root, split='train')
    os.remove(tmp_path / 'depth' / 'frame_002.npy')
    # an LR folder that lacks a stem
    os.remove(tmp_path / 'lr_depth' / 'frame_000.png')
    with pytest.raises(FileNotFoundError, match=r'train\.txt:1.*lr_depth_dir'):
        DepthFolderDataset(
            data_root=root, split='train', lr_depth_dir='lr_depth'
        )
    with pytest.raises(FileNotFoundError, match='label_dir folder not found'):
        DepthFolderDataset(data_root=root, label_dir='labels')
    with pytest.raises(
        FileNotFoundError, match=r'splits/val\.txt.*split=None'
    ):
        DepthFolderDataset(data_root=root, split='val')


def test_split_errors_and_unpaired_depth(tmp_path):
    write_depth_folder(str(tmp_path), num=2, splits=dict(train=[0, 0]))
    root = str(tmp_path)
    with pytest.raises(ValueError, match=r'train\.txt:2.*line 1'):
        DepthFolderDataset(data_root=root, split='train')
    (tmp_path / 'splits' / 'empty.txt').write_text('# nothing\n\n')
    with pytest.raises(ValueError, match=r'splits/empty\.txt is empty'):
        DepthFolderDataset(data_root=root, split='empty')
    with pytest.raises(ValueError, match='depth_scale must be positive'):
        DepthFolderDataset(data_root=root, depth_scale=0)
    with pytest.raises(ValueError, match='cam_intrinsics'):
        DepthFolderDataset(data_root=root, cam_intrinsics=(1, 2, 3))
    # a depth map whose image is missing is logged, the rest is used
    os.remove(tmp_path / 'rgb' / 'frame_001.png')
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        dataset = DepthFolderDataset(data_root=root)
    finally:
        logger.removeHandler(handler)
    assert len(dataset) == 1
    messages = [r.getMessage() for r in records]
    assert any('1 depth map(s)' in m and 'frame_001' in m for m in messages)
