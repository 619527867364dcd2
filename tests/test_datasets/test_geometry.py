import numpy as np
import pytest

from mmdepthsr.datasets import SynthRoomsDataset
from mmdepthsr.datasets.geometry import (
    DEFAULT_NORMAL_WINDOW,
    backproject,
    normals_from_depth,
)
from mmdepthsr.structures.protocols import NYU_INTRINSICS

FX, FY, CX, CY = NYU_INTRINSICS
SHAPE = (480, 640)
SMALL = (120, 160)


def _rays(shape=SHAPE):
    v, u = np.indices(shape, dtype=np.float64)
    return np.stack([(u - CX) / FX, (v - CY) / FY, np.ones(shape)], -1)


def _plane_depth(normal, offset, max_depth=20.0):
    """z-depth of the plane ``normal . P = -offset`` (0 where not seen)."""
    den = _rays() @ normal
    seen = den < 0
    z = np.where(seen, -offset / np.where(seen, den, -1.0), 0.0)
    z[z > max_depth] = 0.0
    return z


def _angles_deg(a, b):
    cos = np.clip(np.sum(a * b, axis=-1), -1.0, 1.0)
    return np.degrees(np.arccos(cos))


def test_backproject_pixel_convention():
    depth = np.zeros(SHAPE)
    depth[10, 20] = 2.0
    points = backproject(depth, NYU_INTRINSICS)
    assert points.shape == SHAPE + (3,)
    np.testing.assert_allclose(
        points[10, 20], [(20 - CX) * 2 / FX, (10 - CY) * 2 / FY, 2.0]
    )
    # The principal point back-projects onto the optical axis.
    depth[:] = 3.0
    principal = backproject(depth, (FX, FY, 20.0, 10.0))[10, 20]
    np.testing.assert_allclose(principal, [0.0, 0.0, 3.0])
    assert not backproject(np.zeros((2, 2)), NYU_INTRINSICS).any()


def test_tilted_floor_is_exact():
    # Camera pitched 20 deg down and rolled 10 deg, 1.4 m above a floor:
    # the floor normal in the camera frame has a dominant -y (up) part.
    pitch, roll = np.radians(20), np.radians(10)
    up = np.array(
        [
            np.sin(roll) * np.cos(pitch),
            -np.cos(roll) * np.cos(pitch),
            -np.sin(pitch),
        ]
    )
    depth = _plane_depth(up, 1.4)
    assert 0.7 < (depth > 0).mean() < 0.9  # the horizon is in view
    normals = normals_from_depth(depth, NYU_INTRINSICS)
    valid = np.any(normals != 0, axis=-1)
    # Every pixel with a depth gets the plane's normal, exactly (float32).
    np.testing.assert_array_equal(valid, depth > 0)
    assert np.abs(normals[valid] - up).max() < 2e-7
    # An untilted camera sees the floor as exactly "up".
    level = normals_from_depth(
        _plane_depth(np.array([0.0, -1.0, 0.0]), 1.2), NYU_INTRINSICS
    )
    floor = np.any(level != 0, axis=-1)
    assert floor[-1].all() and not floor[0].any()
    assert np.abs(level[floor] - [0, -1, 0]).max() < 1e-7


def test_fronto_parallel_wall_faces_the_camera():
    normals = normals_from_depth(np.full(SMALL, 3.0), NYU_INTRINSICS)
    assert np.abs(normals - [0, 0, -1]).max() < 1e-7


def test_valid_mask_and_holes():
    depth = np.full(SMALL, 2.5)
    depth[50:70, 60:120] = 0  # hole
    depth[0, 0] = np.nan
    valid = np.ones(SMALL, bool)
    valid[:, :40] = False  # e.g. rawDepths == 0
    normals = normals_from_depth(depth, NYU_INTRINSICS, valid=valid)
    has = np.any(normals != 0, axis=-1)
    assert not has[:, :40].any()
    assert not has[50:70, 60:120].any()
    # Next to the hole the fits use the remaining points of the wall.
    assert has[49, 90] and has[70, 90]
    np.testing.assert_allclose(normals[49, 90], [0, 0, -1], atol=1e-7)
    assert has[:, 40:].sum() == (depth[:, 40:] > 0).sum()
    with pytest.raises(ValueError, match='valid has shape'):
        normals_from_depth(depth, NYU_INTRINSICS, valid=valid[1:])


def test_isolated_points_are_invalid():
    # A single valid line of points does not define a plane.
    depth = np.zeros((40, 40))
    depth[20, :] = 2.0
    normals = normals_from_depth(depth, NYU_INTRINSICS, window=3)
    assert not normals.any()


@pytest.mark.parametrize('window', [2, 1, 4.5, 0])
def test_window_must_be_odd(window):
    with pytest.raises(ValueError, match='odd integer'):
        normals_from_depth(np.ones((8, 8)), NYU_INTRINSICS, window=window)


def test_bad_inputs():
    with pytest.raises(ValueError, match='H x W'):
        normals_from_depth(np.ones((4, 4, 1)), NYU_INTRINSICS)
    with pytest.raises(ValueError, match='intrinsics'):
        backproject(np.ones((4, 4)), (0.0, 1.0, 2.0, 2.0))


def test_synthrooms_normals_match_ground_truth():
    sample = SynthRoomsDataset(
        split='val', num_samples=1, img_shape=(120, 160)
    )[0]
    depth, gt = sample['gt_depth'], sample['gt_normal']
    intrinsics = sample['cam_intrinsics']
    normals = normals_from_depth(depth, intrinsics)
    valid = np.any(normals != 0, axis=-1) & np.any(gt != 0, axis=-1)
    assert valid.mean() > 0.99
    angles = _angles_deg(normals[valid], gt[valid])
    # Measured: median 0.02 deg (the float32 rounding of gt_depth), 58 %
    # of the pixels within 1 deg. More than half of the pixels have a
    # 17 x 17 window on a single planar face, where the fit is exact; the
    # rest straddle an edge of this small (120 x 160) room and blend two
    # faces, which shows in the upper percentiles, not in the median.
    assert np.median(angles) < 0.1
    assert (angles < 1.0).mean() > 0.5
    # A 3 x 3 window blends far fewer pixels (measured 94 % < 11.25 deg).
    small = normals_from_depth(depth, intrinsics, window=3)
    angles3 = _angles_deg(small[valid], gt[valid])
    assert (angles3 < 11.25).mean() > 0.9
    # Every normal faces the camera: n . P < 0.
    facing = np.sum(normals * backproject(depth, intrinsics), axis=-1)
    assert (facing[valid] < 0).all()
    assert DEFAULT_NORMAL_WINDOW == 17
