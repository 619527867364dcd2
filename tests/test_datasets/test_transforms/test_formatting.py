"""PackDenseInputs builds tensors of the documented shapes and dtypes."""

import numpy as np
import pytest
import torch
from mmcv.transforms import Compose

from mmdepthsr.datasets.transforms import PackDenseInputs
from mmdepthsr.structures import DenseDataSample


def _results():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (8, 12, 3), dtype=np.uint8)
    return dict(
        img=img[:, ::-1],  # a non-contiguous view, as after a flip
        gt_depth=rng.uniform(0, 5, (8, 12)).astype(np.float32),
        gt_sem_seg=rng.integers(0, 13, (8, 12)).astype(np.uint8),
        gt_normal=rng.normal(size=(8, 12, 3)).astype(np.float32),
        lr_depth=rng.uniform(0, 5, (2, 3)).astype(np.float32),
        img_path='rooms/0001.png',
        img_shape=(8, 12),
        ori_shape=(16, 24),
        cam_intrinsics=np.array([10.0, 10.0, 5.5, 3.5]),
        scale_factor=4,
        flip=True,
        sample_idx=3,
        not_a_meta_key='dropped',
    )


def test_pack_shapes_dtypes_and_values():
    results = _results()
    packed = PackDenseInputs()(results)
    inputs, sample = packed['inputs'], packed['data_samples']
    assert isinstance(sample, DenseDataSample)
    assert inputs.shape == (3, 8, 12) and inputs.dtype == torch.uint8
    assert inputs.is_contiguous()
    np.testing.assert_array_equal(
        inputs.numpy(), results['img'].transpose(2, 0, 1)
    )
    fields = dict(
        gt_depth=((1, 8, 12), torch.float32),
        gt_sem_seg=((1, 8, 12), torch.int64),
        gt_normal=((3, 8, 12), torch.float32),
        lr_depth=((1, 2, 3), torch.float32),
    )
    for key, (shape, dtype) in fields.items():
        data = getattr(sample, key).data
        assert tuple(data.shape) == shape and data.dtype == dtype, key
    np.testing.assert_array_equal(
        sample.gt_normal.data.numpy(), results['gt_normal'].transpose(2, 0, 1)
    )
    np.testing.assert_array_equal(
        sample.gt_sem_seg.data[0].numpy(), results['gt_sem_seg']
    )
    np.testing.assert_array_equal(
        sample.lr_depth.data[0].numpy(), results['lr_depth']
    )


def test_only_present_meta_keys_are_copied():
    sample = PackDenseInputs()(_results())['data_samples']
    assert set(sample.metainfo) == {
        'img_path',
        'img_shape',
        'ori_shape',
        'cam_intrinsics',
        'scale_factor',
        'flip',
        'sample_idx',
    }
    assert sample.scale_factor == 4 and sample.ori_shape == (16, 24)
    sample = PackDenseInputs(meta_keys=('img_path', 'depth_norm_max'))(
        _results()
    )['data_samples']
    assert set(sample.metainfo) == {'img_path'}


def test_float_image_and_missing_maps():
    results = dict(img=np.zeros((4, 5, 3), np.float32), img_shape=(4, 5))
    packed = PackDenseInputs()(results)
    assert packed['inputs'].dtype == torch.float32
    assert 'gt_depth' not in packed['data_samples']


def test_pack_errors_and_repr():
    with pytest.raises(KeyError, match=r'rooms/0001\.png.*img'):
        PackDenseInputs()(dict(img_path='rooms/0001.png'))
    bad = dict(_results(), gt_normal=np.zeros((8, 12), np.float32))
    with pytest.raises(ValueError, match=r'gt_normal.*rooms/0001\.png'):
        PackDenseInputs()(bad)
    assert repr(PackDenseInputs(meta_keys=('img_path',))) == (
        "PackDenseInputs(meta_keys=('img_path',))"
    )


def test_eigen_dsr_pipeline_from_configs():
    """The Eigen 2014 augmentation, then the LR input, then packing."""
    pipeline = Compose(
        [
            dict(type='RandomScale', scale_range=(1.0, 1.5)),
            dict(type='RandomRotate', max_angle=5.0),
            dict(type='RandomCrop', crop_size=(32, 44)),
            dict(type='RandomFlip', prob=0.5),
            dict(type='RandomColorGain', gain_range=(0.8, 1.2)),
            dict(type='GenerateLRDepth', scale_factor=4),
            dict(type='PackDenseInputs'),
        ]
    )
    rng = np.random.default_rng(0)
    # a fronto-parallel wall 2 m away, with a 1 m box in front of it
    depth = np.full((36, 48), 2.0, np.float32)
    depth[10:26, 12:30] = 1.0
    results = dict(
        img=rng.integers(0, 256, (36, 48, 3), dtype=np.uint8),
        gt_depth=depth,
        gt_sem_seg=(depth < 2).astype(np.uint8),
        gt_normal=np.broadcast_to(
            np.array([0, 0, -1], np.float32), (36, 48, 3)
        ).copy(),
        cam_intrinsics=np.array([30.0, 30.0, 23.0, 17.0]),
        img_path='rooms/0001.png',
    )
    np.random.seed(0)
    packed = pipeline(results)
    sample = packed['data_samples']
    assert packed['inputs'].shape == (3, 32, 44)
    assert sample.gt_depth.shape == sample.gt_sem_seg.shape == (32, 44)
    assert sample.lr_depth.shape == (8, 11)
    assert sample.scale_factor == 4
    assert 1.0 <= sample.random_scale <= 1.5
    assert abs(sample.rotate_angle) <= 5.0
    fx = sample.cam_intrinsics[0]
    assert 30.0 <= fx <= 30.0 * 1.5 + 1
    # depths divided by the scale; rotation only turns the normals in plane
    valid = sample.gt_depth.data[sample.gt_depth.data > 0]
    expected = torch.tensor([1.0, 2.0]) / sample.random_scale
    torch.testing.assert_close(valid.unique(), expected)
    normal = sample.gt_normal.data[:, sample.gt_depth.data[0] > 0]
    torch.testing.assert_close(
        normal, torch.tensor([[0.0], [0.0], [-1.0]]).expand_as(normal)
    )
