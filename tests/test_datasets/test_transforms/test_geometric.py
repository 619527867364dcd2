"""Geometric transforms keep the 3-D scene, the labels and the normals.

A small ray-cast room (five planes, tilted against the camera) gives exact
depth, labels and normals. After each transform the depth is back-projected
with the updated intrinsics and compared with the original point set (up to
the known mirror, scale or rotation), and a plane fitted to each surface's
points must agree with the transformed normal map.
"""

import math
from unittest import mock

import numpy as np
import pytest

from mmdepthsr.datasets.transforms import (
    CenterCrop,
    GenerateLRDepth,
    RandomCrop,
    RandomFlip,
    RandomRotate,
    RandomScale,
    Resize,
)
from mmdepthsr.datasets.transforms.geometric import KBCrop, kb_crop_box
from mmdepthsr.registry import TRANSFORMS
from mmdepthsr.structures.protocols import KITTI_IMAGE_SHAPES

H, W = 36, 48
K = (30.0, 30.0, 23.0, 17.0)  # integer principal point: exact 90 deg turns


def _rot(axis: str, deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    if axis == 'x':
        return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def make_scene(k=K, shape=(H, W), holes=True):
    """Camera inside a tilted box room: depth, labels, normals, image."""
    fx, fy, cx, cy = k
    h, w = shape
    # Inward normals (they point towards the camera) and distances of the
    # back wall, floor, ceiling, left and right walls.
    normals = np.array(
        [[0, 0, -1], [0, -1, 0], [0, 1, 0], [1, 0, 0], [-1, 0, 0]], float
    )
    dists = np.array([6.0, 1.2, 1.0, 2.0, 2.5])
    normals = normals @ (_rot('y', 25) @ _rot('x', 10)).T
    v, u = np.mgrid[0:h, 0:w].astype(float)
    rays = np.stack([(u - cx) / fx, (v - cy) / fy, np.ones_like(u)], -1)
    dots = rays @ normals.T  # h x w x 5
    with np.errstate(divide='ignore'):
        t = np.where(dots < 0, -dists / dots, np.inf)
    labels = t.argmin(-1)
    depth = t.min(-1).astype(np.float32)
    assert np.isfinite(depth).all()
    normal = normals[labels].astype(np.float32)
    labels = labels.astype(np.uint8)
    if holes:
        rng = np.random.default_rng(0)
        hole = rng.random((h, w)) < 0.05
        depth[hole] = 0
        normal[hole] = 0
    img = np.zeros((h, w, 3), np.uint8)
    img[..., 0] = 40 * labels + 20
    img[..., 1] = np.clip(depth * 30, 0, 255).astype(np.uint8)
    img[..., 2] = (u * 5).astype(np.uint8)
    return dict(
        img=img,
        gt_depth=depth,
        gt_sem_seg=labels,
        gt_normal=normal,
        cam_intrinsics=np.array(k, np.float64),
        img_shape=(h, w),
        ori_shape=(h, w),
        img_path='scene_0001.png',
    )


def backproject(depth, k):
    fx, fy, cx, cy = k
    v, u = np.mgrid[0 : depth.shape[0], 0 : depth.shape[1]].astype(float)
    return np.stack(
        [(u - cx) * depth / fx, (v - cy) * depth / fy, depth.astype(float)],
        -1,
    )


def assert_planes_match_normals(results, atol=1e-4):
    """A plane fitted to each label's points equals the normal map."""
    depth, labels = results['gt_depth'], results['gt_sem_seg']
    normal = results['gt_normal']
    points = backproject(depth, results['cam_intrinsics'])
    valid = depth > 0
    # invalid depth and invalid normals coincide, whatever the transform
    np.testing.assert_array_equal(valid, np.abs(normal).sum(-1) > 0)
    checked = 0
    for label in np.unique(labels[valid]):
        mask = valid & (labels == label)
        if mask.sum() < 10:
            continue
        pts = points[mask]
        centre = pts.mean(0)
        fitted = np.linalg.svd(pts - centre, full_matrices=False)[2][-1]
        if fitted @ centre > 0:  # orient towards the camera
            fitted = -fitted
        np.testing.assert_allclose(
            normal[mask], np.broadcast_to(fitted, pts.shape), atol=atol
        )
        checked += 1
    assert checked >= 3


def test_scene_is_consistent():
    assert_planes_match_normals(make_scene())


def test_random_crop_keeps_points_and_shifts_principal_point():
    results = make_scene(k=(30.0, 31.0, 23.3, 17.6))
    before = backproject(results['gt_depth'], results['cam_intrinsics'])
    ref = {key: results[key].copy() for key in ('gt_sem_seg', 'gt_normal')}
    crop = RandomCrop(crop_size=(20, 30))
    with mock.patch.object(crop, '_sample_offset', return_value=(5, 11)):
        out = crop(results)
    assert out['crop_box'] == (5, 11, 25, 41)
    assert out['img_shape'] == (20, 30)
    for key in ('img', 'gt_depth', 'gt_sem_seg', 'gt_normal'):
        assert out[key].shape[:2] == (20, 30)
    np.testing.assert_allclose(
        out['cam_intrinsics'], [30.0, 31.0, 23.3 - 11, 17.6 - 5]
    )
    after = backproject(out['gt_depth'], out['cam_intrinsics'])
    np.testing.assert_allclose(after, before[5:25, 11:41], atol=1e-6)
    np.testing.assert_array_equal(
        out['gt_sem_seg'], ref['gt_sem_seg'][5:25, 11:41]
    )
    np.testing.assert_array_equal(
        out['gt_normal'], ref['gt_normal'][5:25, 11:41]
    )
    assert_planes_match_normals(out)


def test_random_crop_offsets_cover_the_image():
    np.random.seed(0)
    boxes = {RandomCrop((30, 40))(make_scene())['crop_box'] for _ in range(60)}
    tops = {b[0] for b in boxes}
    lefts = {b[1] for b in boxes}
    assert tops == set(range(7)) and lefts == set(range(9))


def test_center_crop_hand_checked_intrinsics():
    results = make_scene(k=(30.0, 30.0, 23.3, 17.6))
    before = backproject(results['gt_depth'], results['cam_intrinsics'])
    out = CenterCrop((20, 30))(results)
    # top = (36 - 20) // 2 = 8, left = (48 - 30) // 2 = 9
    assert out['crop_box'] == (8, 9, 28, 39)
    np.testing.assert_allclose(out['cam_intrinsics'], [30, 30, 14.3, 9.6])
    after = backproject(out['gt_depth'], out['cam_intrinsics'])
    np.testing.assert_allclose(after, before[8:28, 9:39], atol=1e-6)


def test_crop_larger_than_image_raises():
    with pytest.raises(ValueError, match=r'scene_0001\.png.*smaller'):
        CenterCrop((40, 30))(make_scene())
    with pytest.raises(ValueError, match=r'scene_0001\.png.*smaller'):
        RandomCrop((20, 50))(make_scene())


def test_random_crop_cat_max_ratio_redraws():
    results = make_scene()
    labels = np.zeros((H, W), np.uint8)
    labels[:, 24:] = 1
    results['gt_sem_seg'] = labels
    crop = RandomCrop((10, 10), cat_max_ratio=0.75)
    offsets = iter([(0, 0), (3, 30), (2, 20), (0, 0)])
    with mock.patch.object(
        crop, '_sample_offset', side_effect=lambda *a: next(offsets)
    ):
        out = crop(results)
    # (0, 0) and (3, 30) hold one class; (2, 20) has 40 % / 60 %
    assert out['crop_box'] == (2, 20, 12, 30)


def test_random_flip_mirrors_the_scene():
    results = make_scene(k=(30.0, 30.0, 23.3, 17.6))
    before = backproject(results['gt_depth'], results['cam_intrinsics'])
    normal = results['gt_normal'].copy()
    out = RandomFlip(prob=1.0)(results)
    assert out['flip'] is True and out['flip_direction'] == 'horizontal'
    # cx -> W - 1 - cx = 47 - 23.3
    np.testing.assert_allclose(out['cam_intrinsics'], [30, 30, 23.7, 17.6])
    after = backproject(out['gt_depth'], out['cam_intrinsics'])
    mirror = np.array([-1.0, 1.0, 1.0])
    np.testing.assert_allclose(after[:, ::-1], before * mirror, atol=1e-6)
    np.testing.assert_array_equal(out['gt_normal'][:, ::-1], normal * mirror)
    assert out['gt_normal'].flags['C_CONTIGUOUS']
    assert_planes_match_normals(out)


def test_random_flip_prob_zero_is_identity():
    results = make_scene()
    depth = results['gt_depth'].copy()
    out = RandomFlip(prob=0.0)(results)
    assert out['flip'] is False and out['flip_direction'] is None
    np.testing.assert_array_equal(out['gt_depth'], depth)
    np.testing.assert_allclose(out['cam_intrinsics'], K)


def test_resize_down_by_three_samples_pixel_centres():
    results = make_scene(k=(30.0, 30.0, 23.3, 17.6))
    before = backproject(results['gt_depth'], results['cam_intrinsics'])
    labels = results['gt_sem_seg'].copy()
    out = Resize(scale=(12, 16))(results)
    # sx = sy = 1/3: fx = 10, cx = (23.3 + .5) / 3 - .5, cy = 18.1 / 3 - .5
    np.testing.assert_allclose(
        out['cam_intrinsics'],
        [10.0, 10.0, 23.8 / 3 - 0.5, 18.1 / 3 - 0.5],
    )
    assert out['resize_factor'] == (1 / 3, 1 / 3)
    assert out['img'].shape == (12, 16, 3) and out['img'].dtype == np.uint8
    # output pixel i sits on the centre of input pixel 3 i + 1
    after = backproject(out['gt_depth'], out['cam_intrinsics'])
    np.testing.assert_allclose(after, before[1::3, 1::3], atol=1e-5)
    np.testing.assert_array_equal(out['gt_sem_seg'], labels[1::3, 1::3])
    assert_planes_match_normals(out)


def test_resize_up_keeps_depth_values_and_points():
    results = make_scene()
    before = backproject(results['gt_depth'], results['cam_intrinsics'])
    depth = results['gt_depth'].copy()
    out = Resize(scale_factor=3)(results)
    assert out['img_shape'] == (108, 144)
    np.testing.assert_allclose(out['cam_intrinsics'], [90, 90, 70, 52])
    # nearest: every value is an input value, each repeated 3 x 3 times
    np.testing.assert_array_equal(
        out['gt_depth'], np.repeat(np.repeat(depth, 3, 0), 3, 1)
    )
    after = backproject(out['gt_depth'], out['cam_intrinsics'])
    np.testing.assert_allclose(after[1::3, 1::3], before, atol=1e-5)


def test_resize_anisotropic_and_keep_ratio():
    results = make_scene(k=(30.0, 30.0, 23.3, 17.6))
    before = backproject(results['gt_depth'], results['cam_intrinsics'])
    out = Resize(scale=(12, 48))(results)
    np.testing.assert_allclose(
        out['cam_intrinsics'], [30, 10, 23.3, 18.1 / 3 - 0.5]
    )
    after = backproject(out['gt_depth'], out['cam_intrinsics'])
    np.testing.assert_allclose(after, before[1::3], atol=1e-5)
    # normals do not change: the intrinsics absorb the anisotropic zoom
    assert_planes_match_normals(out)
    # keep_ratio: factor min(20 / 36, 100 / 48) = 5 / 9 -> (20, 27)
    out = Resize(scale=(20, 100), keep_ratio=True)(make_scene())
    assert out['img_shape'] == (20, 27)
    assert out['gt_depth'].shape == (20, 27)
    np.testing.assert_allclose(out['resize_factor'], (20 / 36, 27 / 48))


def test_resize_without_gt_keeps_gt_resolution():
    results = make_scene()
    depth = results['gt_depth'].copy()
    out = Resize(scale=(18, 24), resize_gt=False)(results)
    assert out['img'].shape == (18, 24, 3)
    assert out['img_shape'] == (18, 24)
    np.testing.assert_array_equal(out['gt_depth'], depth)
    assert out['gt_sem_seg'].shape == out['gt_normal'].shape[:2] == (H, W)
    np.testing.assert_allclose(out['cam_intrinsics'], [15, 15, 11.25, 8.25])
    # a later geometric transform refuses the misaligned maps
    with pytest.raises(ValueError, match=r'scene_0001\.png.*resize_gt'):
        RandomFlip(prob=1.0)(out)


def test_resize_image_interpolation_is_pixel_centred():
    ramp = np.tile(np.arange(8, dtype=np.float32) * 10, (4, 1))
    out = Resize(scale=(4, 4), interpolation='area')(
        dict(img=np.dstack([ramp] * 3))
    )
    # area: means of pairs 0,10 -> 5, 20,30 -> 25 ...
    np.testing.assert_allclose(out['img'][0, :, 0], [5, 25, 45, 65])
    out = Resize(scale=(4, 16))(dict(img=np.dstack([ramp] * 3)))
    # bilinear at centre-aligned x = (j + .5) / 2 - .5, clamped at 0
    np.testing.assert_allclose(
        out['img'][0, :5, 0], [0.0, 2.5, 7.5, 12.5, 17.5]
    )


def test_random_scale_divides_depth_and_scales_the_scene():
    results = make_scene(k=(30.0, 30.0, 23.3, 17.6))
    before = backproject(results['gt_depth'], results['cam_intrinsics'])
    normal = results['gt_normal'].copy()
    out = RandomScale(scale_range=(3.0, 3.0))(results)
    assert out['random_scale'] == 3.0
    assert out['img_shape'] == (108, 144) and out['img'].shape[:2] == (
        108,
        144,
    )
    np.testing.assert_allclose(
        out['cam_intrinsics'], [90, 90, 23.8 * 3 - 0.5, 18.1 * 3 - 0.5]
    )
    after = backproject(out['gt_depth'], out['cam_intrinsics'])
    np.testing.assert_allclose(after[1::3, 1::3], before / 3, atol=1e-5)
    np.testing.assert_array_equal(out['gt_normal'][1::3, 1::3], normal)
    # between the exact centres, upsampled pixels reuse a neighbour's depth
    assert_planes_match_normals(out, atol=2e-3)


def test_random_scale_samples_in_range():
    np.random.seed(3)
    depth = make_scene()['gt_depth']
    for _ in range(5):
        out = RandomScale()(make_scene())
        s = out['random_scale']
        assert 1.0 <= s <= 1.5
        assert out['img_shape'] == (int(H * s + 0.5), int(W * s + 0.5))
        np.testing.assert_allclose(
            np.unique(out['gt_depth']),
            np.unique((depth / np.float32(s)).astype(np.float32)),
        )


def _rot3(angle):
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    return np.array([[c, s, 0], [-s, c, 0], [0, 0, 1]])


def test_random_rotate_90_degrees_is_exact_and_counter_clockwise():
    results = make_scene(holes=False)
    before = backproject(results['gt_depth'], results['cam_intrinsics'])
    ref = {k: results[k].copy() for k in ('gt_sem_seg', 'gt_normal', 'img')}
    rotate = RandomRotate(max_angle=90)
    with mock.patch.object(rotate, '_sample_angle', return_value=90.0):
        out = rotate(results)
    assert out['rotate_angle'] == 90.0
    np.testing.assert_allclose(out['cam_intrinsics'], K)
    after = backproject(out['gt_depth'], out['cam_intrinsics'])
    rot = _rot3(90.0)
    cx, cy = 23, 17
    hit = np.zeros((H, W), bool)
    for v in range(H):
        for u in range(W):
            # forward map: the pixel below the centre goes to its right
            u2, v2 = cx + (v - cy), cy - (u - cx)
            if 0 <= u2 < W and 0 <= v2 < H:
                hit[v2, u2] = True
                np.testing.assert_allclose(
                    after[v2, u2], rot @ before[v, u], atol=1e-5
                )
                assert out['gt_sem_seg'][v2, u2] == ref['gt_sem_seg'][v, u]
                np.testing.assert_allclose(
                    out['gt_normal'][v2, u2],
                    rot @ ref['gt_normal'][v, u],
                    atol=1e-6,
                )
                np.testing.assert_array_equal(
                    out['img'][v2, u2], ref['img'][v, u]
                )
    # pixels with no source are invalid everywhere
    assert (out['gt_depth'][~hit] == 0).all()
    assert (out['gt_sem_seg'][~hit] == 255).all()
    assert (out['gt_normal'][~hit] == 0).all()
    assert (out['img'][~hit] == 0).all()
    assert hit.sum() == 36 * 36
    assert_planes_match_normals(out)


def _check_rotation_samples(
    out_depth, out_normal, k, angle, src_depth, src_normal
):
    """Each output point rotated back projects onto the source pixel it
    was copied from, with that pixel's depth and (rotated) normal."""
    fx, fy, cx, cy = k
    valid = out_depth > 0
    q = backproject(out_depth, k)[valid] @ _rot3(angle)  # R^T p
    u = np.floor(q[:, 0] / q[:, 2] * fx + cx + 0.5).astype(int)
    v = np.floor(q[:, 1] / q[:, 2] * fy + cy + 0.5).astype(int)
    np.testing.assert_allclose(q[:, 2], src_depth[v, u], rtol=1e-6)
    if src_normal is not None:
        np.testing.assert_allclose(
            out_normal[valid] @ _rot3(angle), src_normal[v, u], atol=1e-5
        )
    return valid.sum()


def test_random_rotate_small_angle_with_lr_depth():
    k = (30.0, 33.0, 23.3, 17.6)  # fx != fy: rotation in normalised coords
    results = make_scene(k=k)
    results = GenerateLRDepth(4, method='nearest')(results)
    src = {key: results[key].copy() for key in ('gt_depth', 'gt_normal')}
    lr_src = results['lr_depth'].copy()
    np.random.seed(0)
    out = RandomRotate(max_angle=5.0)(results)
    angle = out['rotate_angle']
    assert 0 < abs(angle) <= 5.0
    n = _check_rotation_samples(
        out['gt_depth'],
        out['gt_normal'],
        k,
        angle,
        src['gt_depth'],
        src['gt_normal'],
    )
    assert n > 0.8 * H * W
    assert_planes_match_normals(out, atol=0.05)
    # lr_depth turns about the same axis at its own resolution
    lr_k = (k[0] / 4, k[1] / 4, (k[2] + 0.5) / 4 - 0.5, (k[3] + 0.5) / 4 - 0.5)
    assert out['lr_depth'].shape == (9, 12)
    assert (
        _check_rotation_samples(
            out['lr_depth'], None, lr_k, angle, lr_src, None
        )
        > 0.6 * 9 * 12
    )


def test_random_rotate_prob_zero_and_repr():
    results = make_scene()
    depth = results['gt_depth'].copy()
    out = RandomRotate(prob=0.0)(results)
    assert out['rotate_angle'] == 0.0
    np.testing.assert_array_equal(out['gt_depth'], depth)
    assert repr(RandomRotate(3.0, 0.5)) == (
        "RandomRotate(max_angle=3.0, prob=0.5, interpolation='bilinear')"
    )


def test_lr_depth_follows_crops_and_flips():
    results = GenerateLRDepth(4, method='nearest')(make_scene())
    crop = RandomCrop((16, 24))
    np.random.seed(1)
    out = crop(results)
    top, left = out['crop_box'][:2]
    assert top % 4 == 0 and left % 4 == 0
    expected = GenerateLRDepth(4, method='nearest')(
        dict(gt_depth=out['gt_depth'])
    )['lr_depth']
    np.testing.assert_array_equal(out['lr_depth'], expected)
    lr = out['lr_depth'].copy()
    out = RandomFlip(prob=1.0)(out)
    np.testing.assert_array_equal(out['lr_depth'], lr[:, ::-1])


def test_lr_depth_off_grid_raises():
    results = GenerateLRDepth(4, method='nearest')(make_scene())
    with pytest.raises(ValueError, match=r'scene_0001\.png.*divisible'):
        CenterCrop((18, 24))(dict(results))  # size 18 not a multiple of 4
    with pytest.raises(ValueError, match=r'scene_0001\.png.*top=2'):
        CenterCrop((32, 24))(dict(results))  # top = 2
    with pytest.raises(ValueError, match=r'scene_0001\.png.*\(18, 24\)'):
        Resize(scale_factor=0.5)(dict(results))
    bad = dict(results, lr_depth=np.ones((10, 12), np.float32))
    with pytest.raises(ValueError, match=r'scene_0001\.png.*lr_depth'):
        RandomFlip(prob=1.0)(bad)


def test_lr_depth_follows_resize_and_scale():
    results = GenerateLRDepth(4, method='nearest')(make_scene())
    lr = results['lr_depth'].copy()
    out = Resize(scale=(72, 96))(dict(results))
    np.testing.assert_array_equal(
        out['lr_depth'], np.repeat(np.repeat(lr, 2, 0), 2, 1)
    )
    np.random.seed(5)
    out = RandomScale((1.1, 1.4))(dict(results))
    h, w = out['img_shape']
    assert h % 4 == 0 and w % 4 == 0
    assert out['lr_depth'].shape == (h // 4, w // 4)
    assert set(np.unique(out['lr_depth'])) <= set(
        np.unique((lr / np.float32(out['random_scale'])).astype(np.float32))
    )


def test_misaligned_maps_raise():
    results = make_scene()
    results['gt_depth'] = results['gt_depth'][:-1]
    with pytest.raises(ValueError, match=r'scene_0001\.png.*gt_depth'):
        CenterCrop((10, 10))(results)


def test_build_from_registry_and_repr():
    crop = TRANSFORMS.build(dict(type='RandomCrop', crop_size=(8, 9)))
    assert isinstance(crop, RandomCrop)
    assert repr(crop) == (
        'RandomCrop(crop_size=(8, 9), cat_max_ratio=None, ignore_index=255)'
    )
    assert repr(CenterCrop(5)) == 'CenterCrop(crop_size=(5, 5))'
    assert repr(RandomFlip(0.3)) == 'RandomFlip(prob=0.3)'
    assert repr(Resize(scale=(4, 6), resize_gt=False)) == (
        'Resize(scale=(4, 6), scale_factor=None, keep_ratio=False, '
        "resize_gt=False, interpolation='bilinear')"
    )
    assert repr(RandomScale()) == (
        "RandomScale(scale_range=(1.0, 1.5), interpolation='bilinear')"
    )
    with pytest.raises(ValueError, match='exactly one'):
        Resize()
    with pytest.raises(ValueError, match='scale_range'):
        RandomScale((1.5, 1.0))


def test_int64_labels_and_float_images_are_supported():
    results = make_scene()
    results['gt_sem_seg'] = results['gt_sem_seg'].astype(np.int64) + 300
    results['img'] = results['img'].astype(np.float32)
    np.random.seed(2)
    for transform in (
        Resize(scale=(24, 32)),
        RandomScale(),
        RandomRotate(max_angle=20),
        RandomFlip(prob=1.0),
        RandomCrop((16, 16)),
    ):
        results = transform(results)
        assert results['gt_sem_seg'].dtype == np.int64
        assert results['img'].dtype == np.float32
        assert set(np.unique(results['gt_sem_seg'])) <= set(
            range(300, 305)
        ) | {255}
    assert results['img'].shape == (16, 16, 3)


def _kitti_sample(shape):
    h, w = shape
    v, u = np.mgrid[0:h, 0:w]
    return dict(
        img=np.stack([u % 256, v % 256, (u + v) % 256], -1).astype(np.uint8),
        gt_depth=(v * 10000 + u).astype(np.float32),
        cam_intrinsics=np.array([721.5377, 721.5377, 609.5593, 172.854]),
        img_shape=(h, w),
        img_path='kitti.png',
    )


def test_kb_crop_box_for_every_kitti_size():
    assert kb_crop_box((375, 1242)) == (23, 375, 13, 1229)
    for h, w in KITTI_IMAGE_SHAPES.values():
        top, bottom, left, right = kb_crop_box((h, w))
        assert (bottom - top, right - left) == (352, 1216)
        assert top == h - 352 and bottom == h and left == (w - 1216) // 2
    with pytest.raises(ValueError, match='at least 352 x 1216'):
        kb_crop_box((350, 1242))


def test_kb_crop_with_gt():
    results = KBCrop(crop_gt=True)(_kitti_sample((375, 1242)))
    assert results['img'].shape == (352, 1216, 3)
    assert results['gt_depth'].shape == (352, 1216)
    # pixel (0, 0) of the crop is row 23, column 13 of the frame
    assert results['gt_depth'][0, 0] == 23 * 10000 + 13
    assert results['gt_depth'][-1, -1] == 374 * 10000 + 1228
    np.testing.assert_allclose(
        results['cam_intrinsics'],
        [721.5377, 721.5377, 609.5593 - 13, 172.854 - 23],
    )
    assert results['img_shape'] == (352, 1216)
    assert results['crop_box'] == (23, 13, 375, 1229)
    assert 'gt_crop_box' not in results


def test_kb_crop_input_only_records_gt_box():
    sample = _kitti_sample((370, 1224))  # 2011_09_28 / 09_30 size
    gt = sample['gt_depth'].copy()
    results = TRANSFORMS.build(dict(type='KBCrop', crop_gt=False))(sample)
    assert results['img'].shape == (352, 1216, 3)
    np.testing.assert_array_equal(results['gt_depth'], gt)
    assert results['gt_crop_box'] == (18, 370, 4, 1220)
    top, bottom, left, right = results['gt_crop_box']
    full = _kitti_sample((370, 1224))['img']
    np.testing.assert_array_equal(results['img'], full[top:bottom, left:right])
    np.testing.assert_allclose(
        results['cam_intrinsics'][2:], [609.5593 - 4, 172.854 - 18]
    )
    assert repr(KBCrop(crop_gt=False)).startswith('KBCrop(crop_gt=False')
    with pytest.raises(ValueError, match='smaller than crop_size'):
        KBCrop()(_kitti_sample((300, 1242)))


def test_kb_crop_moves_lr_depth_on_its_grid():
    sample = _kitti_sample((376, 1240))  # top 24, left 12: on the x4 grid
    sample['lr_depth'] = sample['gt_depth'][::4, ::4].copy()
    results = KBCrop(crop_gt=False)(sample)
    assert results['lr_depth'].shape == (88, 304)
    assert results['lr_depth'][0, 0] == 24 * 10000 + 12
    assert results['gt_depth'].shape == (376, 1240)
    sample = _kitti_sample((375, 1242))  # top 23 is not on the x3 grid
    sample['lr_depth'] = sample['gt_depth'][::3, ::3].copy()
    with pytest.raises(ValueError, match='lr_depth'):
        KBCrop()(sample)


def test_crop_to_multiple_keeps_the_top_left():
    from mmdepthsr.datasets.transforms import CropToMultiple

    depth = np.arange(7 * 10, dtype=np.float32).reshape(7, 10)
    img = np.arange(7 * 10 * 3, dtype=np.uint8).reshape(7, 10, 3)
    results = dict(
        img=img.copy(),
        gt_depth=depth.copy(),
        img_shape=(7, 10),
        cam_intrinsics=[5.0, 5.0, 4.5, 3.0],
    )
    out = CropToMultiple(4)(results)
    # 7 x 10 -> 4 x 8: rows 0..3, columns 0..7
    np.testing.assert_array_equal(out['gt_depth'], depth[:4, :8])
    np.testing.assert_array_equal(out['img'], img[:4, :8])
    assert out['gt_depth'][3, 7] == 37.0
    assert out['img_shape'] == (4, 8)
    assert out['crop_box'] == (0, 0, 4, 8)
    assert list(out['cam_intrinsics']) == [5.0, 5.0, 4.5, 3.0]
    # a multiple already: unchanged
    out = CropToMultiple(2)(dict(gt_depth=depth[:6].copy()))
    np.testing.assert_array_equal(out['gt_depth'], depth[:6, :10])
    with pytest.raises(ValueError, match='smaller than the divisor'):
        CropToMultiple(8)(dict(gt_depth=depth.copy()))
    with pytest.raises(ValueError, match='positive integer'):
        CropToMultiple(0)
    assert repr(CropToMultiple(16)) == 'CropToMultiple(divisor=16)'
