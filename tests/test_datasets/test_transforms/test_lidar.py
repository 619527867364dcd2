"""Velodyne projection (Eigen protocol) on a hand-made scan and calibration.

Calibration: R_rect_00 = I; velodyne -> camera maps (x fwd, y left, z up) to
(x right, y down, z fwd) = (-y, -z, x - 0.5); P_rect_02 = [[100, 0, 40, 0],
[0, 100, 12, 0], [0, 0, 1, 0]]; images 24 x 80. A velodyne point (x, y, z)
therefore lands at u = 100 * -y / (x - 0.5) + 40, v = 100 * -z / (x - 0.5)
+ 12, then column round(u) - 1, row round(v) - 1.
"""

import os.path as osp

import numpy as np
import pytest

from mmdepthsr.datasets.transforms.lidar import (
    LoadVelodyneDepth,
    generate_velodyne_depth,
    kitti_cam_intrinsics,
    kitti_image_shape,
    load_velodyne_points,
    read_calib_file,
)
from mmdepthsr.registry import TRANSFORMS
from mmdepthsr.testing.kitti import write_calib_files, write_velodyne_scan

SHAPE = (24, 80)
P2 = np.array([[100.0, 0, 40, 0], [0, 100, 12, 0], [0, 0, 1, 0]])
P3 = np.array([[100.0, 0, 40, -50], [0, 100, 12, 0], [0, 0, 1, 0]])
VELO_R = (0, -1, 0, 0, 0, -1, 1, 0, 0)
VELO_T = (0.0, 0.0, -0.5)

# (x, y, z, reflectance) and where the point goes with camera 2.
POINTS = np.array(
    [
        [10.0, 0.0, 0.0, 0.1],  # A: u 40, v 12 -> (11, 39); z 9.5
        [20.0, 0.0, 0.0, 0.2],  # A2: same pixel, farther: min keeps A
        [-10.0, 0.0, 0.0, 0.3],  # behind (x < 0) on A's pixel: dropped
        [5.0, 1.0, 0.5, 0.4],  # C: u 17.78, v 0.89 -> (0, 17); z 4.5
        [10.5, -1.25, 0.0, 0.5],  # D: u 52.5 (tie -> 52) -> (11, 51)
        [10.5, -4.04, 0.0, 0.6],  # E: u 80.4 -> 80 -> last column 79
        [10.5, 3.96, 0.0, 0.7],  # F: u 0.4 -> 0 -> -1: outside
        [10.5, 0.0, -1.24, 0.8],  # G: v 24.4 -> 24 -> last row 23
        [10.5, 0.0, -1.3, 0.9],  # H: v 25 -> 24: outside
    ],
    dtype=np.float32,
)


def _expected(vel_depth: bool) -> np.ndarray:
    depth = np.zeros(SHAPE, np.float32)
    for (row, col), x in (
        ((11, 39), 10.0),
        ((0, 17), 5.0),
        ((11, 51), 10.5),
        ((11, 79), 10.5),
        ((23, 39), 10.5),
    ):
        depth[row, col] = x if vel_depth else x - 0.5
    return depth


@pytest.fixture()
def scan(tmp_path):
    calib_dir = str(tmp_path / '2011_09_26')
    write_calib_files(
        calib_dir,
        SHAPE,
        {2: P2, 3: P3},
        r_rect=np.eye(3).ravel(),
        velo_r=VELO_R,
        velo_t=VELO_T,
    )
    path = str(tmp_path / 'velodyne_points' / 'data' / '0000000000.bin')
    write_velodyne_scan(path, POINTS)
    return calib_dir, path


def test_read_calib_file(scan):
    calib_dir, _ = scan
    cam = read_calib_file(osp.join(calib_dir, 'calib_cam_to_cam.txt'))
    velo = read_calib_file(osp.join(calib_dir, 'calib_velo_to_cam.txt'))
    assert cam['calib_time'] == '09-Jan-2012 13:57:47'
    assert velo['calib_time'] == '15-Mar-2012 11:37:16'
    np.testing.assert_array_equal(cam['P_rect_02'], P2.ravel())
    np.testing.assert_array_equal(cam['S_rect_02'], [80.0, 24.0])
    np.testing.assert_array_equal(velo['T'], VELO_T)
    np.testing.assert_array_equal(
        kitti_cam_intrinsics(cam, 2), [100.0, 100.0, 40.0, 12.0]
    )
    assert kitti_image_shape(cam, 3) == SHAPE
    with pytest.raises(ValueError, match='image_02'):
        kitti_cam_intrinsics(cam, 1)


def test_read_calib_file_errors(tmp_path):
    bad = tmp_path / 'calib_cam_to_cam.txt'
    bad.write_text('S_rect_02: 80 24\nno colon here\n')
    with pytest.raises(ValueError, match=r'calib_cam_to_cam.txt:2'):
        read_calib_file(str(bad))
    with pytest.raises(FileNotFoundError, match='missing.txt'):
        read_calib_file(str(tmp_path / 'missing.txt'))
    bad.write_text('S_rect_02: 80 24\n')
    with pytest.raises(ValueError, match="'P_rect_02'.*missing"):
        kitti_cam_intrinsics(read_calib_file(str(bad)), 2, str(bad))


def test_projection_pixels_values_collisions_and_behind(scan):
    calib_dir, path = scan
    depth = generate_velodyne_depth(calib_dir, path, cam=2, vel_depth=True)
    assert depth.dtype == np.float32 and depth.shape == SHAPE
    np.testing.assert_array_equal(depth, _expected(vel_depth=True))
    depth_z = generate_velodyne_depth(calib_dir, path, vel_depth=False)
    np.testing.assert_array_equal(depth_z, _expected(vel_depth=False))


def test_right_camera_uses_p_rect_03(scan):
    calib_dir, path = scan
    depth = generate_velodyne_depth(calib_dir, path, cam=3)
    # A: u = (40 * 9.5 - 50) / 9.5 = 34.74 -> 35 -> column 34
    assert depth[11, 34] == 10.0
    assert depth[11, 39] == 0.0


def test_load_velodyne_depth_transform(scan):
    calib_dir, path = scan
    transform = TRANSFORMS.build(dict(type='LoadVelodyneDepth'))
    results = transform(
        dict(velodyne_path=path, calib_dir=calib_dir, cam_id=2)
    )
    np.testing.assert_array_equal(results['gt_depth'], _expected(True))
    # cached calibration, camera forced to 2 whatever cam_id says
    results = LoadVelodyneDepth(cam=2, vel_depth=False)(
        dict(velodyne_path=path, calib_dir=calib_dir, cam_id=3)
    )
    np.testing.assert_array_equal(results['gt_depth'], _expected(False))
    with pytest.raises(KeyError, match='cam_id'):
        transform(dict(velodyne_path=path, calib_dir=calib_dir))
    with pytest.raises(KeyError, match='velodyne_path'):
        transform(dict(calib_dir=calib_dir, cam_id=2))
    with pytest.raises(ValueError, match='has size'):
        transform(
            dict(
                velodyne_path=path,
                calib_dir=calib_dir,
                cam_id=2,
                img=np.zeros((20, 80, 3), np.uint8),
            )
        )
    with pytest.raises(ValueError, match='must be 2'):
        LoadVelodyneDepth(cam=0)
    assert 'vel_depth=True' in repr(transform)


def test_bad_scans(scan, tmp_path):
    calib_dir, _ = scan
    behind = str(tmp_path / 'behind.bin')
    write_velodyne_scan(behind, [[-5.0, 0, 0, 1]])
    with pytest.raises(ValueError, match='no point'):
        LoadVelodyneDepth()(
            dict(velodyne_path=behind, calib_dir=calib_dir, cam_id=2)
        )
    truncated = tmp_path / 'truncated.bin'
    truncated.write_bytes(b'\0' * 20)
    with pytest.raises(ValueError, match='multiple of 16'):
        load_velodyne_points(str(truncated))
    with pytest.raises(FileNotFoundError, match='nothing.bin'):
        load_velodyne_points(str(tmp_path / 'nothing.bin'))
