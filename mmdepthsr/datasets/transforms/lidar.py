"""Depth maps from LiDAR scans: KITTI calibration and velodyne projection.

The projection reproduces the ground truth of the original Eigen split
protocol (Eigen et al., NIPS 2014) as described by the public
``generate_depth_map`` of monodepth2 (nianticlabs/monodepth2,
``kitti_utils.py``):

1. read the scan ``velodyne_points/data/%010d.bin`` (float32, ``N x 4``:
   x forward, y left, z up, reflectance);
2. drop the points behind the sensor (``x < 0``);
3. project with ``P_rect_0k @ R_rect_00 @ [R | T]_velo_to_cam`` (4 x 4
   homogeneous rectification and rigid motion), divide by the third
   coordinate;
4. round ``u, v`` (numpy rounding: halves go to the even integer) and
   subtract 1 ("to match the KITTI MATLAB code", so a point projecting to
   ``u = 10.2`` lands in column 9);
5. keep the points with ``0 <= u < W`` and ``0 <= v < H``
   (``W x H = S_rect_0k``);
6. write the depth of each point, keeping the **minimum** when several
   points fall on one pixel; negative values become 0 (invalid).

The stored depth is the velodyne ``x`` (forward) distance with
``vel_depth=True`` (the protocol's default, as Eigen's evaluation and
monodepth2's ``export_gt_depth.py --split eigen``), else the rectified
camera ``z``.

monodepth2's duplicate search uses a linear index with row stride
``W - 1`` (its ``sub2ind``), which also merges pixel ``(r, W - 1)`` with
``(r + 1, 0)``; we merge true collisions only. The two rules can differ in
the first and last image column only, which lie outside every evaluation
crop (Garg, Eigen, KB).
"""

import os
import os.path as osp
from typing import Dict, Optional, Tuple, Union

import numpy as np

from mmdepthsr.registry import TRANSFORMS

from .base import DenseTransform

#: File names of the per-date KITTI raw calibration.
CAM_TO_CAM_FILE = 'calib_cam_to_cam.txt'
VELO_TO_CAM_FILE = 'calib_velo_to_cam.txt'

#: Colour cameras of the KITTI rig: 2 = left (image_02), 3 = right.
KITTI_COLOR_CAMERAS = (2, 3)

CalibDict = Dict[str, Union[np.ndarray, str]]


def read_calib_file(path: str) -> CalibDict:
    """Parse a KITTI raw calibration file (``key: values`` lines).

    Values that parse as floats become a float64 array (a single number
    gives a 1-element array); other values (the ``calib_time`` date) stay
    strings. Empty lines are skipped.

    Args:
        path (str): ``calib_cam_to_cam.txt`` or ``calib_velo_to_cam.txt``.

    Returns:
        dict[str, np.ndarray | str]: e.g. ``P_rect_02`` (12,),
        ``S_rect_02`` (2,) = ``(W, H)``, ``R_rect_00`` (9,), ``R`` (9,),
        ``T`` (3,), ``calib_time`` (str).

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If a line has no ``key:`` part.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'KITTI calibration file not found: {path}')
    calib: CalibDict = {}
    with open(path, encoding='utf-8') as f:
        for line_no, line in enumerate(f, start=1):
            line = line.strip()
            if not line:
                continue
            key, sep, value = line.partition(':')
            if not sep or not key.strip():
                raise ValueError(
                    f'{path}:{line_no}: expected "key: values", got {line!r}.'
                )
            try:
                calib[key.strip()] = np.array(
                    [float(v) for v in value.split()], dtype=np.float64
                )
            except ValueError:
                calib[key.strip()] = value.strip()
    return calib


def _calib_array(calib: CalibDict, key: str, size: int, path: str):
    value = calib.get(key)
    if not isinstance(value, np.ndarray) or value.size != size:
        got = 'missing' if value is None else repr(value)
        raise ValueError(
            f'{path}: field {key!r} must hold {size} numbers, got {got}.'
        )
    return value


def _check_cam(cam: int) -> int:
    if int(cam) not in KITTI_COLOR_CAMERAS:
        raise ValueError(
            f'KITTI colour camera must be 2 (image_02, left) or 3 '
            f'(image_03, right), got {cam!r}.'
        )
    return int(cam)


def kitti_cam_intrinsics(
    cam_to_cam: CalibDict, cam: int = 2, path: str = CAM_TO_CAM_FILE
) -> np.ndarray:
    """``[fx, fy, cx, cy]`` of a rectified colour camera, from ``P_rect_0k``.

    Args:
        cam_to_cam (dict): Parsed ``calib_cam_to_cam.txt``.
        cam (int): 2 (image_02) or 3 (image_03). Defaults to 2.
        path (str): File name used in error messages.

    Returns:
        np.ndarray: float64 ``(4,)``.
    """
    cam = _check_cam(cam)
    proj = _calib_array(cam_to_cam, f'P_rect_0{cam}', 12, path).reshape(3, 4)
    return np.array(
        [proj[0, 0], proj[1, 1], proj[0, 2], proj[1, 2]], dtype=np.float64
    )


def kitti_image_shape(
    cam_to_cam: CalibDict, cam: int = 2, path: str = CAM_TO_CAM_FILE
) -> Tuple[int, int]:
    """``(H, W)`` of a rectified colour camera (``S_rect_0k`` is ``W H``)."""
    cam = _check_cam(cam)
    width, height = _calib_array(cam_to_cam, f'S_rect_0{cam}', 2, path)
    return int(height), int(width)


def velodyne_to_image(
    cam_to_cam: CalibDict,
    velo_to_cam: CalibDict,
    cam: int = 2,
    paths: Tuple[str, str] = (CAM_TO_CAM_FILE, VELO_TO_CAM_FILE),
) -> np.ndarray:
    """The 3 x 4 map from homogeneous velodyne points to image pixels.

    ``P_rect_0k @ R_rect_00 @ [R | T]_velo_to_cam`` with the rotations
    padded to 4 x 4 homogeneous matrices.

    Args:
        cam_to_cam (dict): Parsed ``calib_cam_to_cam.txt``.
        velo_to_cam (dict): Parsed ``calib_velo_to_cam.txt``.
        cam (int): 2 or 3. Defaults to 2.
        paths (tuple[str, str]): File names used in error messages.

    Returns:
        np.ndarray: float64 ``(3, 4)``.
    """
    cam = _check_cam(cam)
    rigid = np.eye(4)
    rigid[:3, :3] = _calib_array(velo_to_cam, 'R', 9, paths[1]).reshape(3, 3)
    rigid[:3, 3] = _calib_array(velo_to_cam, 'T', 3, paths[1])
    rect = np.eye(4)
    rect[:3, :3] = _calib_array(cam_to_cam, 'R_rect_00', 9, paths[0]).reshape(
        3, 3
    )
    proj = _calib_array(cam_to_cam, f'P_rect_0{cam}', 12, paths[0])
    return proj.reshape(3, 4) @ rect @ rigid


def load_velodyne_points(path: str) -> np.ndarray:
    """Read a KITTI velodyne scan.

    Args:
        path (str): ``velodyne_points/data/%010d.bin``.

    Returns:
        np.ndarray: float32 ``(N, 4)``: x forward, y left, z up (metres),
        reflectance.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If its size is not a multiple of 16 bytes.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'velodyne scan not found: {path}')
    size = os.path.getsize(path)
    if size % 16:
        raise ValueError(
            f'velodyne scan {path} has {size} bytes, not a multiple of 16 '
            '(N x 4 float32); the file is truncated or not a KITTI scan.'
        )
    return np.fromfile(path, dtype=np.float32).reshape(-1, 4)


def project_velodyne(
    points: np.ndarray,
    velo_to_img: np.ndarray,
    image_shape: Tuple[int, int],
    vel_depth: bool = True,
) -> np.ndarray:
    """Project velodyne points into a sparse depth map (Eigen protocol).

    See the module docstring for the steps; ``velo_to_img`` comes from
    :func:`velodyne_to_image`.

    Args:
        points (np.ndarray): ``(N, 3+)`` velodyne points (x fwd, y left,
            z up); extra columns are ignored.
        velo_to_img (np.ndarray): ``(3, 4)`` projection.
        image_shape (tuple[int, int]): ``(H, W)`` of the map.
        vel_depth (bool): Store the velodyne x distance (True, the
            protocol) or the camera z (False). Defaults to True.

    Returns:
        np.ndarray: float32 ``(H, W)`` depth in metres, 0 = no point.
    """
    points = np.asarray(points)
    if points.ndim != 2 or points.shape[1] < 3:
        raise ValueError(
            f'velodyne points must be N x 3 (or N x 4), got {points.shape}.'
        )
    height, width = (int(s) for s in image_shape)
    xyz = points[:, :3].astype(np.float64)
    xyz = xyz[xyz[:, 0] >= 0]
    homo = np.concatenate([xyz, np.ones((len(xyz), 1))], axis=1)
    img = homo @ np.asarray(velo_to_img, dtype=np.float64).T
    with np.errstate(divide='ignore', invalid='ignore'):
        u = np.round(img[:, 0] / img[:, 2]) - 1
        v = np.round(img[:, 1] / img[:, 2]) - 1
    depth = xyz[:, 0] if vel_depth else img[:, 2]
    inside = (
        np.isfinite(u)
        & np.isfinite(v)
        & (u >= 0)
        & (v >= 0)
        & (u < width)
        & (v < height)
    )
    u = u[inside].astype(np.int64)
    v = v[inside].astype(np.int64)
    depth = depth[inside]
    # Sort by pixel, then by depth: the first point of each pixel is its
    # nearest one.
    index = v * width + u
    order = np.lexsort((depth, index))
    index, depth = index[order], depth[order]
    first = np.ones(len(index), dtype=bool)
    first[1:] = index[1:] != index[:-1]
    out = np.zeros(height * width, dtype=np.float64)
    out[index[first]] = depth[first]
    out[out < 0] = 0
    return out.reshape(height, width).astype(np.float32)


def generate_velodyne_depth(
    calib_dir: str,
    velodyne_path: str,
    cam: int = 2,
    vel_depth: bool = True,
) -> np.ndarray:
    """Velodyne ground truth of one KITTI frame (Eigen protocol).

    Args:
        calib_dir (str): Folder of the date holding ``calib_cam_to_cam.txt``
            and ``calib_velo_to_cam.txt`` (e.g. ``raw/2011_09_26``).
        velodyne_path (str): The scan ``.bin``.
        cam (int): 2 (image_02) or 3 (image_03). Defaults to 2.
        vel_depth (bool): Velodyne x (True) or camera z (False). Defaults
            to True.

    Returns:
        np.ndarray: float32 ``(H, W)`` metres, ``(H, W)`` from
        ``S_rect_0k``, 0 = no point.
    """
    cam_path = osp.join(calib_dir, CAM_TO_CAM_FILE)
    velo_path = osp.join(calib_dir, VELO_TO_CAM_FILE)
    cam_to_cam = read_calib_file(cam_path)
    velo_to_cam = read_calib_file(velo_path)
    proj = velodyne_to_image(
        cam_to_cam, velo_to_cam, cam, (cam_path, velo_path)
    )
    shape = kitti_image_shape(cam_to_cam, cam, cam_path)
    return project_velodyne(
        load_velodyne_points(velodyne_path), proj, shape, vel_depth
    )


@TRANSFORMS.register_module()
class LoadVelodyneDepth(DenseTransform):
    """Project the frame's velodyne scan into ``gt_depth`` (Eigen protocol).

    See :func:`project_velodyne`. The calibration of each date folder is
    parsed once and cached.

    Required keys: ``velodyne_path``, ``calib_dir_key`` (both set by
    :class:`~mmdepthsr.datasets.KITTIDataset` with
    ``gt_source='velodyne'``) and, with ``cam=None``, ``cam_id``.
    Added keys: ``key`` (``H x W`` float32 metres, 0 = no point).

    Args:
        calib_dir_key (str): Key of the calibration folder. Defaults to
            ``'calib_dir'``.
        cam (int, optional): 2 or 3; None takes the sample's ``cam_id``
            (image_02 / image_03 of its path). Defaults to None.
        vel_depth (bool): Store the velodyne x distance (the protocol)
            rather than the camera z. Defaults to True.
        velodyne_path_key (str): Key of the scan path. Defaults to
            ``'velodyne_path'``.
        key (str): Where to store the map. Defaults to ``'gt_depth'``.

    Raises:
        ValueError: If the map's size (``S_rect_0k``) differs from the
            loaded image's, or no point lands in the image.
    """

    reads_files = True

    def __init__(
        self,
        calib_dir_key: str = 'calib_dir',
        cam: Optional[int] = None,
        vel_depth: bool = True,
        velodyne_path_key: str = 'velodyne_path',
        key: str = 'gt_depth',
    ):
        self.calib_dir_key = calib_dir_key
        self.cam = None if cam is None else _check_cam(cam)
        self.vel_depth = bool(vel_depth)
        self.velodyne_path_key = velodyne_path_key
        self.key = key
        self._calib_cache: Dict[Tuple[str, int], tuple] = {}

    def _calib(self, calib_dir: str, cam: int) -> tuple:
        cached = self._calib_cache.get((calib_dir, cam))
        if cached is None:
            cam_path = osp.join(calib_dir, CAM_TO_CAM_FILE)
            velo_path = osp.join(calib_dir, VELO_TO_CAM_FILE)
            cam_to_cam = read_calib_file(cam_path)
            proj = velodyne_to_image(
                cam_to_cam,
                read_calib_file(velo_path),
                cam,
                (cam_path, velo_path),
            )
            cached = (proj, kitti_image_shape(cam_to_cam, cam, cam_path))
            self._calib_cache[(calib_dir, cam)] = cached
        return cached

    def transform(self, results: dict) -> dict:
        owner = type(self).__name__
        for k in (self.velodyne_path_key, self.calib_dir_key):
            if results.get(k) is None:
                raise KeyError(
                    f'{owner}: the results have no `{k}`; keys present: '
                    f'{sorted(results)}. Build the dataset with '
                    "gt_source='velodyne'."
                )
        cam = self.cam
        if cam is None:
            if results.get('cam_id') is None:
                raise KeyError(
                    f'{owner}: cam=None needs results["cam_id"] (2 or 3); '
                    f'{results[self.velodyne_path_key]} has none. Pass '
                    'cam=2 or cam=3.'
                )
            cam = _check_cam(results['cam_id'])
        path = results[self.velodyne_path_key]
        proj, shape = self._calib(results[self.calib_dir_key], cam)
        depth = project_velodyne(
            load_velodyne_points(path), proj, shape, self.vel_depth
        )
        img = results.get('img')
        if img is not None and tuple(img.shape[:2]) != tuple(shape):
            raise ValueError(
                f'{owner}: the velodyne map of {path} has the size '
                f'{tuple(shape)} of S_rect_0{cam} in '
                f'{results[self.calib_dir_key]}, but the image '
                f'{results.get("img_path", "")} has size '
                f'{tuple(img.shape[:2])}.'
            )
        if not (depth > 0).any():
            raise ValueError(
                f'{owner}: no point of {path} projects into the image of '
                f'camera {cam}; wrong calibration or empty scan.'
            )
        results[self.key] = depth
        return results

    def __repr__(self) -> str:
        return (
            f'{type(self).__name__}(calib_dir_key={self.calib_dir_key!r}, '
            f'cam={self.cam}, vel_depth={self.vel_depth}, '
            f'velodyne_path_key={self.velodyne_path_key!r}, '
            f'key={self.key!r})'
        )


__all__ = [
    'CAM_TO_CAM_FILE',
    'VELO_TO_CAM_FILE',
    'read_calib_file',
    'kitti_cam_intrinsics',
    'kitti_image_shape',
    'velodyne_to_image',
    'load_velodyne_points',
    'project_velodyne',
    'generate_velodyne_depth',
    'LoadVelodyneDepth',
]
