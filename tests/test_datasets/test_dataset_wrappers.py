"""GridPatchDataset: grid coverage, index mapping, patch content, camera.

A toy RGB-D dataset renders random maps of known sizes; its pipeline makes
``lr_depth`` by nearest decimation (x2), so the LR patch can be compared
with the source LR map cut at the HR box divided by 2.
"""

import pickle

import numpy as np
import pytest
import torch
from mmengine.dataset import BaseDataset, pseudo_collate

from mmdepthsr.datasets import GridPatchDataset
from mmdepthsr.registry import DATASETS

LR_PIPELINE = [dict(type='GenerateLRDepth', scale_factor=2, method='nearest')]


class ToyRGBD(BaseDataset):
    """Random maps of the given sizes; counts how often it loads pixels."""

    def __init__(self, shapes, list_shapes=False, **kwargs):
        self.shapes = [tuple(s) for s in shapes]
        self.list_shapes = list_shapes
        self.loads = 0
        super().__init__(**kwargs)

    def load_data_list(self):
        entries = []
        for i, shape in enumerate(self.shapes):
            entry = dict(img_path=f'toy/{i:03d}.png', sample_idx=i)
            if self.list_shapes:
                entry['img_shape'] = shape
            entries.append(entry)
        return entries

    def get_data_info(self, idx):
        info = super().get_data_info(idx)
        self.loads += 1
        h, w = self.shapes[idx]
        rng = np.random.default_rng(idx)
        normal = rng.normal(size=(h, w, 3)).astype(np.float32)
        info.update(
            img=rng.integers(0, 256, (h, w, 3), dtype=np.uint8),
            gt_depth=rng.uniform(0.5, 5.0, (h, w)).astype(np.float32),
            gt_sem_seg=rng.integers(0, 5, (h, w)).astype(np.uint8),
            gt_normal=normal / np.linalg.norm(normal, axis=2, keepdims=True),
            cam_intrinsics=np.array([20.0, 21.0, w / 2 + 1.3, h / 2 - 0.7]),
            img_shape=(h, w),
            ori_shape=(h, w),
        )
        return info


def _toy(shapes, **kwargs):
    return ToyRGBD(shapes, pipeline=LR_PIPELINE, **kwargs)


def test_length_and_index_mapping():
    # rows of 20 by 8 with stride 8: 0, 8, 12; cols of 28 by 12 with
    # stride 8: 0, 8, 16 -> 9 patches per image.
    dataset = GridPatchDataset(
        _toy([(20, 28)] * 3), patch_size=(8, 12), stride=8, img_shape=(20, 28)
    )
    assert len(dataset) == 27
    assert dataset.locate(0) == (0, 0)
    assert dataset.locate(10) == (1, 1)
    assert dataset.locate(-1) == (2, 8)
    assert dataset.get_patch_box(5) == (8, 16, 8, 12)
    assert dataset.get_patch_box(6) == (12, 0, 8, 12)
    with pytest.raises(IndexError, match='27 patches'):
        dataset.locate(27)
    item = dataset[13]  # image 1, patch 4 = row 1, col 1
    assert item['source_idx'] == 1
    assert item['patch_grid_index'] == (1, 1)
    assert item['patch_box'] == (8, 8, 8, 12)
    assert item['img_shape'] == item['ori_shape'] == (8, 12)
    assert item['source_shape'] == (20, 28)
    assert item['img_path'] == 'toy/001.png'


@pytest.mark.parametrize(
    'shape, patch, stride',
    [
        ((20, 28), (8, 12), (8, 8)),
        ((18, 18), 6, None),
        ((14, 22), 8, 4),
        ((16, 16), 16, None),
    ],
)
def test_patches_cover_image_and_equal_source_crops(shape, patch, stride):
    inner = _toy([shape, shape])
    dataset = GridPatchDataset(inner, patch_size=patch, stride=stride)
    sources = [inner.prepare_data(i) for i in range(2)]
    cover = np.zeros((2, *shape), int)
    for idx in range(len(dataset)):
        item = dataset[idx]
        src, (top, left, h, w) = item['source_idx'], item['patch_box']
        source = sources[src]
        for key in ('img', 'gt_depth', 'gt_sem_seg', 'gt_normal'):
            np.testing.assert_array_equal(
                item[key], source[key][top : top + h, left : left + w]
            )
        assert top % 2 == left % 2 == 0
        np.testing.assert_array_equal(
            item['lr_depth'],
            source['lr_depth'][
                top // 2 : (top + h) // 2, left // 2 : (left + w) // 2
            ],
        )
        assert item['lr_depth'].shape == (h // 2, w // 2)
        cover[src, top : top + h, left : left + w] += 1
    assert (cover >= 1).all()


def test_intrinsics_shift_back_projects_to_the_same_point():
    inner = _toy([(20, 28)])
    dataset = GridPatchDataset(inner, patch_size=(8, 12), stride=8)
    source = inner.prepare_data(0)
    item = dataset[5]
    top, left = item['patch_box'][:2]
    assert (top, left) == (8, 16)

    def point(k, u, v, z):
        fx, fy, cx, cy = k
        return np.array([(u - cx) * z / fx, (v - cy) * z / fy, z])

    u, v = 3, 5  # patch pixel
    z = item['gt_depth'][v, u]
    assert z == source['gt_depth'][v + top, u + left]
    np.testing.assert_allclose(
        point(item['cam_intrinsics'], u, v, z),
        point(source['cam_intrinsics'], u + left, v + top, z),
        atol=1e-12,
    )
    # The source's intrinsics are not modified by cutting.
    assert dataset[0]['cam_intrinsics'][2] == pytest.approx(14 + 1.3)


def test_shapes_from_data_list_and_probe_and_cache():
    listed = _toy([(8, 8), (16, 8)], list_shapes=True)
    dataset = GridPatchDataset(listed, patch_size=8)
    assert listed.loads == 0  # planned from the data list
    assert len(dataset) == 1 + 2
    assert dataset.locate(2) == (1, 1)
    assert dataset.patch_counts == (1, 2)

    probed = _toy([(16, 16)] * 3)
    dataset = GridPatchDataset(probed, patch_size=8)
    assert probed.loads == 1  # image 0, once
    assert len(dataset) == 12
    assert dataset.patch_counts == (4, 4, 4)
    for idx in range(len(dataset)):
        dataset[idx]
    assert probed.loads == 3  # the probe is reused; one load per image
    dataset[0]
    assert probed.loads == 4  # back to image 0


def test_image_of_another_size_raises_naming_the_file():
    dataset = GridPatchDataset(_toy([(16, 16), (16, 20)]), patch_size=8)
    assert len(dataset) == 8  # planned from image 0 for both
    with pytest.raises(ValueError, match=r'toy/001.png.*\(16, 20\)'):
        dataset[4]


def test_patch_off_the_lr_grid_and_packed_inner_raise():
    dataset = GridPatchDataset(_toy([(12, 12)]), patch_size=6, stride=3)
    with pytest.raises(ValueError, match='multiples of the lr_depth scale'):
        dataset[0]
    with pytest.raises(ValueError, match='must not exceed'):
        GridPatchDataset(_toy([(12, 12)]), patch_size=4, stride=6)
    with pytest.raises(ValueError, match='image 0 of size'):
        GridPatchDataset(_toy([(12, 12)]), patch_size=14)
    packed = ToyRGBD(
        [(8, 8)], pipeline=[*LR_PIPELINE, dict(type='PackDenseInputs')]
    )
    with pytest.raises(TypeError, match='move PackDenseInputs'):
        GridPatchDataset(packed, patch_size=4)


def test_pickles_without_cache_and_works_with_workers():
    dataset = GridPatchDataset(
        _toy([(16, 16)] * 2),
        patch_size=8,
        pipeline=[dict(type='PackDenseInputs')],
    )
    dataset[0]
    assert list(dataset._cache) == [0]
    clone = pickle.loads(pickle.dumps(dataset))
    assert len(clone._cache) == 0
    assert list(dataset._cache) == [0]  # the original keeps its cache
    torch.testing.assert_close(clone[5]['inputs'], dataset[5]['inputs'])
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=4, num_workers=2, collate_fn=pseudo_collate
    )
    boxes = [
        (s.metainfo['source_idx'], s.metainfo['patch_box'])
        for batch in loader
        for s in batch['data_samples']
    ]
    assert boxes == [
        (i, (t, le, 8, 8)) for i in (0, 1) for t in (0, 8) for le in (0, 8)
    ]


def test_config_with_normalisation_and_packing():
    dataset = DATASETS.build(
        dict(
            type='GridPatchDataset',
            dataset=dict(
                type='SynthRoomsDataset',
                split='val',
                num_samples=2,
                img_shape=(48, 64),
                pipeline=[dict(type='GenerateLRDepth', scale_factor=4)],
            ),
            patch_size=32,
            stride=16,
            pipeline=[
                dict(type='NormalizeDepth', mode='max', stats_key='lr_depth'),
                dict(type='RandomFlip', prob=0.0),
                dict(type='PackDenseInputs'),
            ],
        )
    )
    assert len(dataset) == 2 * 2 * 3
    assert dataset.metainfo['classes'][0] == 'wall'
    item = dataset[4]  # image 0, row 1, col 1
    sample = item['data_samples']
    meta = sample.metainfo
    assert item['inputs'].shape == (3, 32, 32)
    assert meta['patch_box'] == (16, 16, 32, 32)
    assert meta['source_idx'] == 0 and meta['patch_grid_index'] == (1, 1)
    assert meta['scale_factor'] == 4
    lr = sample.lr_depth.data
    assert lr.shape == (1, 8, 8)
    assert float(lr.max()) == pytest.approx(1.0)
    # gt_depth stays in metres; the LR patch comes back to them.
    source = dataset.dataset.prepare_data(0)
    np.testing.assert_array_equal(
        sample.gt_depth.data[0].numpy(), source['gt_depth'][16:48, 16:48]
    )
    np.testing.assert_allclose(
        lr[0].numpy() * meta['depth_norm_max'],
        source['lr_depth'][4:12, 4:12],
        rtol=1e-6,
    )
    assert meta['depth_norm_max'] == pytest.approx(
        float(source['lr_depth'][4:12, 4:12].max())
    )
