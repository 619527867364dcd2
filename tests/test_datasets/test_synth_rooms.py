import numpy as np
import pytest

from mmdepthsr.datasets import SynthRoomsDataset
from mmdepthsr.datasets.synth import (
    Box,
    Cylinder,
    Material,
    Scene,
    Sphere,
    SynthRoomRenderer,
    camera_rotation,
    scale_intrinsics,
)
from mmdepthsr.datasets.synth.scene import (
    BOX,
    CEILING,
    CYLINDER,
    FLOOR,
    SPHERE,
    WALL,
)
from mmdepthsr.registry import DATASETS
from mmdepthsr.structures.protocols import NYU_INTRINSICS

SHAPE = (120, 160)


def _dataset(**kwargs):
    kwargs.setdefault('img_shape', SHAPE)
    kwargs.setdefault('num_samples', 8)
    return SynthRoomsDataset(**kwargs)


def _backproject(depth, intrinsics):
    """Camera-frame points (H, W, 3), float64."""
    fx, fy, cx, cy = intrinsics
    v, u = np.mgrid[: depth.shape[0], : depth.shape[1]]
    z = depth.astype(np.float64)
    return np.stack([(u - cx) * z / fx, (v - cy) * z / fy, z], axis=-1)


def _to_world(points, scene):
    return points @ scene.cam_rotation.T + scene.cam_position


def test_registered_and_sizes():
    assert DATASETS.get('SynthRoomsDataset') is SynthRoomsDataset
    sizes = {
        split: len(SynthRoomsDataset(split=split, img_shape=(8, 8)))
        for split in ('train', 'val', 'test')
    }
    assert sizes == dict(train=1000, val=100, test=200)
    assert len(_dataset(num_samples=3)) == 3
    assert SynthRoomsDataset.METAINFO['classes'] == (
        'wall',
        'floor',
        'ceiling',
        'box',
        'cylinder',
        'sphere',
    )
    assert len(SynthRoomsDataset.METAINFO['palette']) == 6
    with pytest.raises(ValueError, match='split'):
        SynthRoomsDataset(split='training')
    with pytest.raises(ValueError, match='img_shape'):
        SynthRoomsDataset(img_shape=(10,))


def test_sample_format_full_resolution():
    dataset = SynthRoomsDataset(split='val', num_samples=13)
    info = dataset.get_data_info(12)
    assert info['img'].shape == (480, 640, 3)
    assert info['img'].dtype == np.uint8
    assert info['gt_depth'].shape == (480, 640)
    assert info['gt_depth'].dtype == np.float32
    assert info['gt_sem_seg'].shape == (480, 640)
    assert info['gt_sem_seg'].dtype == np.uint8
    assert info['gt_normal'].shape == (480, 640, 3)
    assert info['gt_normal'].dtype == np.float32
    assert info['cam_intrinsics'].dtype == np.float64
    np.testing.assert_array_equal(info['cam_intrinsics'], NYU_INTRINSICS)
    assert info['img_path'] == 'synthrooms/val/000012'
    assert info['ori_shape'] == info['img_shape'] == (480, 640)
    assert info['sample_idx'] == 12
    assert info['seg_fields'] == []
    # A textured, shaded image: far from constant, not saturated.
    assert info['img'].std() > 10
    assert (info['img'] == 255).mean() < 0.2


def test_scaled_intrinsics_pixel_centre_convention():
    # Half resolution: fx / 2 and (cx + 0.5) / 2 - 0.5.
    fx, fy, cx, cy = NYU_INTRINSICS
    expected = [fx / 2, fy / 2, (cx + 0.5) / 2 - 0.5, (cy + 0.5) / 2 - 0.5]
    info = _dataset(img_shape=(240, 320)).get_data_info(0)
    np.testing.assert_allclose(info['cam_intrinsics'], expected, rtol=1e-12)
    np.testing.assert_allclose(
        expected, [259.42895, 259.7348, 162.5412, 126.6181], atol=1e-4
    )
    np.testing.assert_allclose(
        scale_intrinsics(NYU_INTRINSICS, (480, 640), (480, 640)),
        NYU_INTRINSICS,
    )


def test_determinism():
    a = _dataset(split='train', seed=3).get_data_info(5)
    b = _dataset(split='train', seed=3).get_data_info(5)
    for key in ('img', 'gt_depth', 'gt_sem_seg', 'gt_normal'):
        np.testing.assert_array_equal(a[key], b[key])
    state = np.random.get_state()[1].copy()
    others = [
        _dataset(split='train', seed=3).get_data_info(6),
        _dataset(split='val', seed=3).get_data_info(5),
        _dataset(split='train', seed=4).get_data_info(5),
    ]
    # The global numpy random state is never used.
    np.testing.assert_array_equal(np.random.get_state()[1], state)
    for other in others:
        assert not np.array_equal(a['gt_depth'], other['gt_depth'])
        assert not np.array_equal(a['img'], other['img'])


def test_splits_never_share_a_scene():
    keys = {}
    for split in ('train', 'val', 'test'):
        dataset = SynthRoomsDataset(
            split=split, num_samples=60, img_shape=(8, 8)
        )
        for i in range(len(dataset)):
            scene = dataset.get_scene(i)
            key = tuple(np.round(scene.room_size, 9)) + tuple(
                np.round(scene.cam_position, 9)
            )
            assert key not in keys, (split, i, keys.get(key))
            keys[key] = (split, i)


@pytest.mark.parametrize('idx', [0, 1, 2, 3])
def test_geometry_matches_the_scene(idx):
    dataset = _dataset(split='test')
    info = dataset.get_data_info(idx)
    scene = dataset.get_scene(idx)
    depth, labels, normals = (
        info['gt_depth'],
        info['gt_sem_seg'],
        info['gt_normal'].astype(np.float64),
    )
    # Metric depth inside the room: positive, below the room diagonal and
    # the 10 m cap.
    assert depth.min() > 0
    assert depth.max() < min(np.linalg.norm(scene.room_size), 10.0)
    assert labels.max() <= SPHERE
    assert FLOOR in labels or CEILING in labels or WALL in labels

    world = _to_world(_backproject(depth, info['cam_intrinsics']), scene)
    up = scene.up_in_camera
    floor = labels == FLOOR
    if floor.any():
        np.testing.assert_allclose(world[floor][:, 2], 0.0, atol=1e-4)
        np.testing.assert_allclose(
            normals[floor],
            np.broadcast_to(up, normals[floor].shape),
            atol=1e-6,
        )
    ceiling = labels == CEILING
    if ceiling.any():
        np.testing.assert_allclose(
            world[ceiling][:, 2], scene.room_size[2], atol=1e-4
        )
        np.testing.assert_allclose(
            normals[ceiling],
            np.broadcast_to(-up, (ceiling.sum(), 3)),
            atol=1e-6,
        )
    wall = labels == WALL
    # Each wall point lies on one of the four wall planes.
    wall_xy = world[wall][:, :2]
    gap = np.minimum(
        np.abs(wall_xy).min(axis=1),
        np.abs(wall_xy - scene.room_size[:2]).min(axis=1),
    )
    assert gap.max(initial=0.0) < 1e-4

    # Normals: unit, facing the camera (n . ray < 0).
    np.testing.assert_allclose(
        np.linalg.norm(normals, axis=-1), 1.0, atol=1e-5
    )
    rays = _backproject(np.ones_like(depth), info['cam_intrinsics'])
    assert ((normals * rays).sum(-1) < 0).all()

    # Object pixels lie on an object of their class.
    objects = scene.objects
    for label, kind in ((BOX, Box), (CYLINDER, Cylinder), (SPHERE, Sphere)):
        mask = labels == label
        shapes = [o for o in objects if isinstance(o, kind)]
        assert mask.any() <= bool(shapes)
        if not mask.any():
            continue
        p = world[mask]
        if kind is Box:
            lo = np.stack([b.lo for b in shapes])[:, None]
            hi = np.stack([b.hi for b in shapes])[:, None]
            inside = ((p >= lo - 1e-4) & (p <= hi + 1e-4)).all(-1)
            on_face = np.minimum(np.abs(p - lo), np.abs(p - hi)).min(-1) < 1e-4
            assert (inside & on_face).any(0).all()
        elif kind is Sphere:
            err = [
                np.abs(np.linalg.norm(p - s.center, axis=-1) - s.radius)
                for s in shapes
            ]
            assert np.min(err, axis=0).max() < 1e-4
        else:
            ok = np.zeros(len(p), bool)
            for c in shapes:
                radial = np.linalg.norm(p[:, :2] - c.center, axis=-1)
                side = (np.abs(radial - c.radius) < 1e-4) & (
                    p[:, 2] <= c.z1 + 1e-4
                )
                cap = (np.abs(p[:, 2] - c.z1) < 1e-4) & (
                    radial <= c.radius + 1e-4
                )
                ok |= side | cap
            assert ok.all()


@pytest.mark.parametrize('idx', [0, 1, 2, 3, 4])
def test_normals_match_finite_differences(idx):
    info = _dataset(split='train', seed=1).get_data_info(idx)
    points = _backproject(info['gt_depth'], info['cam_intrinsics'])
    normals = info['gt_normal'].astype(np.float64)
    labels = info['gt_sem_seg']
    # dP/dv x dP/du points towards the camera (x right, y down, z forward).
    du = points[:-1, 1:] - points[:-1, :-1]
    dv = points[1:, :-1] - points[:-1, :-1]
    fd = np.cross(dv, du)
    fd /= np.linalg.norm(fd, axis=-1, keepdims=True)
    n = normals[:-1, :-1]
    # Planar regions: the pixel and its right and lower neighbours belong
    # to one flat surface (same class, same normal, no depth jump).
    same = np.ones(n.shape[:2], bool)
    for other_n, other_l, other_z in (
        (normals[:-1, 1:], labels[:-1, 1:], points[:-1, 1:, 2]),
        (normals[1:, :-1], labels[1:, :-1], points[1:, :-1, 2]),
    ):
        same &= (other_l == labels[:-1, :-1]) & (
            np.abs(other_n - n).max(-1) < 1e-6
        )
        same &= np.abs(other_z - points[:-1, :-1, 2]) < 0.05 * other_z
    planar = same & np.isin(labels[:-1, :-1], [WALL, FLOOR, CEILING, BOX])
    assert planar.mean() > 0.5
    np.testing.assert_allclose(fd[planar], n[planar], atol=2e-3)
    # Curved surfaces agree to first order.
    curved = np.isin(labels[:-1, :-1], [CYLINDER, SPHERE])
    curved &= np.isin(labels[1:, :-1], [CYLINDER, SPHERE])
    curved &= np.isin(labels[:-1, 1:], [CYLINDER, SPHERE])
    if curved.any():
        cos = (fd[curved] * n[curved]).sum(-1)
        assert np.median(cos) > 0.99


def test_hand_made_scene_values():
    """A camera at (1, 2, 1.5) looking along +x at a box, sphere, cylinder."""
    plain = Material(
        'plain', np.full(3, 0.5, np.float32), np.zeros(3, np.float32)
    )
    rotation = camera_rotation(0.0, 0.0, 0.0)
    # Columns: right = -y, down = -z, forward = +x.
    np.testing.assert_allclose(
        rotation, [[0, 0, 1], [-1, 0, 0], [0, -1, 0]], atol=1e-12
    )
    scene = Scene(
        room_size=np.array([5.0, 4.0, 3.0]),
        cam_position=np.array([1.0, 2.0, 1.5]),
        cam_rotation=rotation,
        light_position=np.array([2.5, 2.0, 2.8]),
        ambient=0.3,
        light_power=1.2,
        floor=plain,
        walls=plain,
        ceiling=plain,
        objects=[
            Box(np.array([3.0, 1.5, 0.0]), np.array([3.5, 2.5, 1.0]), plain),
            Sphere(np.array([4.0, 1.0, 1.5]), 0.3, plain),
            Cylinder(np.array([4.0, 3.0]), 0.25, 0.0, 0.8, plain),
        ],
    )
    renderer = SynthRoomRenderer((480, 640), NYU_INTRINSICS)
    out = renderer.render(scene, np.random.default_rng(0))
    depth, labels, normals = out['depth'], out['labels'], out['normals']
    fx, fy, cx, cy = NYU_INTRINSICS
    # Straight ahead and above the box: the far wall x = 5, z-depth 4.
    assert labels[200, 326] == WALL
    assert depth[200, 326] == pytest.approx(4.0, abs=1e-5)
    np.testing.assert_allclose(normals[200, 326], [0, 0, -1], atol=1e-6)
    # Low in the image: the box front x = 3 at z-depth 2 (world z = 0.74).
    assert labels[450, 326] == BOX
    assert depth[450, 326] == pytest.approx(2.0, abs=1e-5)
    np.testing.assert_allclose(normals[450, 326], [0, 0, -1], atol=1e-6)
    # Bottom row, left of the box: floor, z-depth = 1.5 * fy / (v - cy).
    assert labels[479, 60] == FLOOR
    assert depth[479, 60] == pytest.approx(1.5 * fy / (479 - cy), rel=1e-5)
    np.testing.assert_allclose(normals[479, 60], [0, -1, 0], atol=1e-6)
    # The sphere centre is at camera (1, 0, 3): pixel (fx / 3 + cx, cy).
    u, v = round(fx / 3 + cx), round(cy)
    ray = np.array([(u - cx) / fx, (v - cy) / fy, 1.0])
    centre = np.array([1.0, 0.0, 3.0])
    b = ray @ centre
    t = (b - np.sqrt(b * b - (ray @ ray) * (centre @ centre - 0.09))) / (
        ray @ ray
    )
    assert labels[v, u] == SPHERE
    assert depth[v, u] == pytest.approx(t, abs=1e-5)
    np.testing.assert_allclose(
        normals[v, u], (t * ray - centre) / 0.3, atol=1e-5
    )
    # The cylinder's axis is at camera x = -1, z = 3; its top (z = 0.8) is
    # 0.7 m below the camera: the cap's centre maps to v = cy + 0.7 fy / 3.
    u, v = round(-fx / 3 + cx), round(cy + 0.7 * fy / 3)
    assert labels[v, u] == CYLINDER
    np.testing.assert_allclose(normals[v, u], [0, -1, 0], atol=1e-6)
    assert depth[v, u] * (v - cy) / fy == pytest.approx(0.7, abs=1e-5)
    # Shading of the floor pixel (479, 60), by hand: albedo of the 'plain'
    # texture, Lambertian term with inverse-square falloff, gamma 2.
    noiseless = SynthRoomRenderer((480, 640), NYU_INTRINSICS, noise_levels=0)
    img = noiseless.render(scene, np.random.default_rng(0))['img']
    z = 1.5 * fy / (479 - cy)
    p = rotation @ np.array([(60 - cx) * z / fx, 1.5, z]) + [1.0, 2.0, 1.5]
    albedo = 0.5 * (1 + 0.05 * np.sin(1.7 * p[0]) * np.sin(2.3 * p[1]))
    to_light = scene.light_position - p
    dist2 = to_light @ to_light
    cos = to_light[2] / np.sqrt(dist2)
    shade = 0.3 + 1.2 * cos / (1 + dist2 / 9.0)
    expected = np.sqrt(albedo * shade) * 255
    np.testing.assert_allclose(img[479, 60], expected, atol=0.6)
    # With sensor noise (uniform integers in -2..2) the image stays close.
    assert np.abs(out['img'].astype(int) - img).max() <= 2


def test_raw_holes():
    dense = _dataset(split='val').get_data_info(2)
    raw = _dataset(split='val', raw_holes=True).get_data_info(2)
    assert (dense['gt_depth'] > 0).all()
    holes = raw['gt_depth'] == 0
    assert 0.05 < holes.mean() < 0.6
    # NYU raw valid box: rows 41..471, cols 34..609 of 480 x 640.
    h, w = SHAPE
    assert holes[: round(41 / 480 * h)].all() and holes[:, -1].all()
    assert holes[:, : round(34 / 640 * w)].all()
    np.testing.assert_array_equal(
        raw['gt_depth'][~holes], dense['gt_depth'][~holes]
    )
    for key in ('img', 'gt_sem_seg', 'gt_normal'):
        np.testing.assert_array_equal(raw[key], dense[key])


def test_pipeline_and_cache():
    dataset = _dataset(
        split='val', cache=True, pipeline=[dict(type='PackDenseInputs')]
    )
    packed = dataset[1]
    assert tuple(packed['inputs'].shape) == (3, *SHAPE)
    sample = packed['data_samples']
    assert tuple(sample.gt_depth.data.shape) == (1, *SHAPE)
    assert tuple(sample.gt_normal.data.shape) == (3, *SHAPE)
    assert sample.img_path == 'synthrooms/val/000001'
    # Cached samples come back as fresh copies.
    first = dataset.get_data_info(1)
    first['gt_depth'][:] = -1
    again = dataset.get_data_info(1)
    assert again['gt_depth'].min() > 0
    np.testing.assert_array_equal(
        again['gt_depth'], sample.gt_depth.data[0].numpy()
    )


def test_textures_are_fixed_to_the_surface():
    from mmdepthsr.datasets.synth.textures import surface_albedo

    red = np.array([1.0, 0.0, 0.0], np.float32)
    blue = np.array([0.0, 0.0, 1.0], np.float32)
    checker = Material('checker', red, blue, scale=0.5)
    s = np.array([0.25, 0.75, 0.25, 0.75, -0.25], np.float32)
    t = np.array([0.25, 0.25, 0.75, 0.75, 0.25], np.float32)
    np.testing.assert_array_equal(
        surface_albedo(checker, s, t).T,
        [red, blue, blue, red, blue],
    )
    stripes = Material('stripes', red, blue, scale=0.5)
    np.testing.assert_array_equal(
        surface_albedo(stripes, s, t)[2], [0, 1, 0, 1, 1]
    )
    for kind in ('plain', 'wood', 'tiles', 'wallpaper'):
        albedo = surface_albedo(Material(kind, red * 0.8, blue * 0.5), s, t)
        assert albedo.shape == (3, 5) and albedo.dtype == np.float32
        assert albedo.min() >= 0 and albedo.max() <= 1
    with pytest.raises(ValueError, match='marble'):
        surface_albedo(Material('marble', red, blue), s, t)


def test_base_config_pipelines():
    from pathlib import Path

    from mmengine.config import Config

    root = Path(__file__).resolve().parents[2]
    cfg = Config.fromfile(root / 'configs/_base_/datasets/synthrooms.py')
    assert cfg.val_evaluator == dict(
        type='DepthMetric', min_depth=1e-3, max_depth=10.0
    )
    assert cfg.train_dataloader.sampler.type == 'InfiniteSampler'
    assert cfg.test_dataloader.sampler.type == 'DefaultSampler'
    train_cfg = dict(cfg.train_dataloader.dataset, num_samples=2)
    train = DATASETS.build(train_cfg)
    packed = train[0]
    assert tuple(packed['inputs'].shape) == (3, 224, 288)
    sample = packed['data_samples']
    assert tuple(sample.gt_depth.data.shape) == (1, 224, 288)
    # The crop moved the principal point; the focal lengths stay.
    fx, fy, cx, cy = sample.cam_intrinsics
    full = scale_intrinsics(NYU_INTRINSICS, (480, 640), (240, 320))
    assert (fx, fy) == pytest.approx(tuple(full[:2]))
    assert cx <= full[2] and cy <= full[3]
    test = DATASETS.build(dict(cfg.test_dataloader.dataset, num_samples=1))
    assert tuple(test[0]['inputs'].shape) == (3, 240, 320)
    assert test[0]['data_samples'].img_path == 'synthrooms/test/000000'
