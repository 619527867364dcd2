"""Tiny KITTI raw + annotated depth layout in the original file formats.

What is written (under ``root``), as in the KITTI downloads:

- ``raw/<date>/calib_cam_to_cam.txt`` and ``calib_velo_to_cam.txt``:
  ``key: values`` text with ``%e`` numbers and a ``calib_time`` string line;
  values of the 2011_09_26 / 2011_09_28 recordings, intrinsics scaled to
  the fixture's image size.
- ``raw/<date>/<drive>/image_02|03/data/%010d.png``: 8-bit RGB.
- ``raw/<date>/<drive>/velodyne_points/data/%010d.bin``: float32 N x 4.
- annotated maps (Uhrig et al. 2017): uint16 PNG, metres x 256, 0 =
  invalid, under ``gt_depth/<drive>/proj_depth/groundtruth/image_0k/`` (the
  merged layout BTS reads) or ``data_depth_annotated/{train,val}/<drive>/
  ...`` (the zip's layout).
- split files: BTS ``splits/eigen_test_files_with_gt.txt`` (one ``None``
  line) and ``splits/eigen_train_files_with_gt.txt``; monodepth2
  ``splits/eigen/test_files.txt`` and ``splits/eigen_full/train_files.txt``.
"""

import os
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

import cv2
import numpy as np

#: The frames of the fixture: (date, drive, camera, frame id, annotated
#: subset of ``data_depth_annotated.zip`` or None when the frame has no
#: annotated map, like the first 5 frames of every drive).
FIXTURE_FRAMES = (
    ('2011_09_26', '2011_09_26_drive_0002_sync', 2, 69, 'val'),
    ('2011_09_26', '2011_09_26_drive_0002_sync', 3, 69, 'val'),
    ('2011_09_26', '2011_09_26_drive_0009_sync', 2, 2, None),
    ('2011_09_28', '2011_09_28_drive_0001_sync', 2, 11, 'train'),
)
#: Frames (indices into FIXTURE_FRAMES) of each split file.
TEST_FRAMES = (0, 2, 3)
TRAIN_FRAMES = (0, 1, 3)

#: Small default image sizes (H, W); pass ``KITTI_IMAGE_SHAPES`` from
#: :mod:`mmdepthsr.structures.protocols` for the real ones.
SMALL_IMAGE_SHAPES = {'2011_09_26': (30, 100), '2011_09_28': (28, 96)}

#: Rectified camera parameters of the two dates at full resolution:
#: image size (H, W), fx (= fy), cx, cy, and the baselines P_rect_0k[0, 3].
_FULL_CAMERAS = {
    '2011_09_26': dict(
        shape=(375, 1242),
        f=7.215377e02,
        cx=6.095593e02,
        cy=1.728540e02,
        p03={0: 0.0, 1: -3.875744e02, 2: 4.485728e01, 3: -3.395242e02},
    ),
    '2011_09_28': dict(
        shape=(370, 1224),
        f=7.070493e02,
        cx=6.040814e02,
        cy=1.805066e02,
        p03={0: 0.0, 1: -3.798145e02, 2: 4.575831e01, 3: -3.341081e02},
    ),
}

#: Rotation R_rect_00 and velodyne-to-camera motion of 2011_09_26.
R_RECT_00 = (
    9.999239e-01, 9.837760e-03, -7.445048e-03,
    -9.869795e-03, 9.999421e-01, -4.278459e-03,
    7.402527e-03, 4.351614e-03, 9.999631e-01,
)  # fmt: skip
VELO_R = (
    7.533745e-03, -9.999714e-01, -6.166020e-04,
    1.480249e-02, 7.280733e-04, -9.998902e-01,
    9.998621e-01, 7.523790e-03, 1.480755e-02,
)  # fmt: skip
VELO_T = (-4.069766e-03, -7.631618e-02, -2.717806e-01)


def _as_printed(values) -> np.ndarray:
    """The values as a reader of the ``%e`` text gets them back."""
    return np.array([float(f'{v:e}') for v in np.ravel(values)])


def _line(key: str, values) -> str:
    return f'{key}: ' + ' '.join(f'{v:e}' for v in np.ravel(values))


def write_calib_files(
    date_dir: str,
    image_shape: Tuple[int, int],
    p_rect: Dict[int, np.ndarray],
    r_rect: Sequence[float] = R_RECT_00,
    velo_r: Sequence[float] = VELO_R,
    velo_t: Sequence[float] = VELO_T,
) -> dict:
    """Write ``calib_cam_to_cam.txt`` and ``calib_velo_to_cam.txt``.

    Args:
        date_dir (str): e.g. ``raw/2011_09_26``.
        image_shape (tuple[int, int]): ``(H, W)`` written as ``S_rect_0k``
            (``W H``).
        p_rect (dict[int, np.ndarray]): ``3 x 4`` ``P_rect_0k`` of cameras
            0-3 (at least 2 and 3).
        r_rect (Sequence[float]): 9 values of ``R_rect_00``.
        velo_r (Sequence[float]): 9 values of the velodyne-to-camera ``R``.
        velo_t (Sequence[float]): 3 values of ``T``.

    Returns:
        dict: The values as parsed back: ``P_rect_0k`` (3 x 4),
        ``R_rect_00`` (3 x 3), ``R`` (3 x 3), ``T`` (3,), and
        ``intrinsics`` {cam: [fx, fy, cx, cy]}.
    """
    os.makedirs(date_dir, exist_ok=True)
    height, width = image_shape
    lines = ['calib_time: 09-Jan-2012 13:57:47', 'corner_dist: 9.950000e-02']
    out = dict(R_rect_00=_as_printed(r_rect).reshape(3, 3), intrinsics={})
    for cam in range(4):
        proj = p_rect.get(cam)
        if proj is None:
            proj = p_rect[2] if cam % 2 == 0 else p_rect[3]
        proj = np.asarray(proj, dtype=np.float64).reshape(3, 4)
        k = proj[:, :3]
        lines += [
            _line(f'S_0{cam}', (1392.0, 512.0)),
            _line(f'K_0{cam}', k),
            _line(f'D_0{cam}', (-0.37, 0.2, 2.2e-3, 1.4e-3, -7.2e-2)),
            _line(f'R_0{cam}', np.eye(3)),
            _line(f'T_0{cam}', (0.06 * cam, 0.0, 0.0)),
            _line(f'S_rect_0{cam}', (float(width), float(height))),
            _line(f'R_rect_0{cam}', r_rect if cam == 0 else np.eye(3)),
            _line(f'P_rect_0{cam}', proj),
        ]
        printed = _as_printed(proj).reshape(3, 4)
        out[f'P_rect_0{cam}'] = printed
        out['intrinsics'][cam] = np.array(
            [printed[0, 0], printed[1, 1], printed[0, 2], printed[1, 2]]
        )
    with open(osp.join(date_dir, 'calib_cam_to_cam.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    with open(osp.join(date_dir, 'calib_velo_to_cam.txt'), 'w') as f:
        f.write(
            '\n'.join(
                [
                    'calib_time: 15-Mar-2012 11:37:16',
                    _line('R', velo_r),
                    _line('T', velo_t),
                    _line('delta_f', (0.0, 0.0)),
                    _line('delta_c', (0.0, 0.0)),
                ]
            )
            + '\n'
        )
    out['R'] = _as_printed(velo_r).reshape(3, 3)
    out['T'] = _as_printed(velo_t)
    return out


def kitti_p_rect(date: str, image_shape: Tuple[int, int]) -> dict:
    """``P_rect_0k`` of a fixture date, scaled to ``image_shape``."""
    cam_info = _FULL_CAMERAS[date]
    full_h, full_w = cam_info['shape']
    sy, sx = image_shape[0] / full_h, image_shape[1] / full_w
    p_rect = {}
    for cam, baseline in cam_info['p03'].items():
        p_rect[cam] = np.array(
            [
                [cam_info['f'] * sx, 0, cam_info['cx'] * sx, baseline * sx],
                [0, cam_info['f'] * sy, cam_info['cy'] * sy, 0.0],
                [0, 0, 1, 0.0],
            ]
        )
    return p_rect


def write_velodyne_scan(path: str, points: np.ndarray) -> None:
    """Write an ``N x 4`` scan as KITTI's float32 ``.bin``."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    np.asarray(points, dtype=np.float32).reshape(-1, 4).tofile(path)


def random_velodyne_scan(rng: np.random.Generator, num: int = 3000):
    """A scan in front of the car (x 3..70 m) plus 5% points behind it."""
    x = rng.uniform(3.0, 70.0, num)
    y = rng.uniform(-0.6, 0.6, num) * x
    z = rng.uniform(-1.7, 0.3, num)
    refl = rng.uniform(0, 1, num)
    behind = rng.random(num) < 0.05
    x[behind] = -x[behind]
    return np.stack([x, y, z, refl], axis=1).astype(np.float32)


def write_depth_png(path: str, png: np.ndarray) -> None:
    """Write a uint16 depth PNG (metres x 256)."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    if png.dtype != np.uint16:
        raise TypeError(f'depth PNG must be uint16, got {png.dtype}.')
    cv2.imwrite(path, png)


def _image(rng, shape) -> np.ndarray:
    """A smooth RGB image (compresses well) with a little noise."""
    h, w = shape
    v, u = np.mgrid[0:h, 0:w]
    base = np.stack(
        [u * 255 // max(w - 1, 1), v * 255 // max(h - 1, 1), (u + v) % 256],
        axis=-1,
    )
    noise = rng.integers(0, 8, (h, w, 3))
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def _annotated_png(rng, shape) -> np.ndarray:
    """Sparse uint16 map: valid in the lower 60% only, 0.5-95 m."""
    h, w = shape
    png = np.round(rng.uniform(0.5, 95.0, (h, w)) * 256).astype(np.uint16)
    png[: int(0.4 * h)] = 0
    png[rng.random((h, w)) < 0.3] = 0
    return png


def write_kitti_dataset(
    root: str,
    image_shapes: Optional[Dict[str, Tuple[int, int]]] = None,
    annotated_layout: str = 'merged',
    seed: int = 0,
) -> dict:
    """Write the fixture frames, calibration, scans, maps and split files.

    Args:
        root (str): Target folder (the dataset's ``data_root``).
        image_shapes (dict, optional): ``(H, W)`` per date. Defaults to
            :data:`SMALL_IMAGE_SHAPES`.
        annotated_layout (str): ``'merged'`` (``gt_depth/<drive>/...``, as
            BTS reads it) or ``'split'`` (``data_depth_annotated/train|val/
            <drive>/...``, as in the zip). Defaults to ``'merged'``.
        seed (int): Seed of the pixel values and scans.

    Returns:
        dict: ``root``, ``raw_dir``, ``gt_dir`` (the merged folder or the
        ``data_depth_annotated`` folder), ``splits`` (``bts_test``,
        ``bts_train``, ``mono_test``, ``mono_train``: paths relative to
        root), ``calib`` (date -> :func:`write_calib_files` values) and
        ``frames``: one dict per :data:`FIXTURE_FRAMES` entry with
        ``date, drive, cam, frame, rgb`` (path relative to ``raw``),
        ``gt`` (relative to the annotated root, or None), ``focal``,
        ``intrinsics``, ``image_shape``, ``img`` (RGB array), ``gt_png``
        (uint16 array or None), ``velodyne`` (N x 4 float32), ``img_path``
        and ``velodyne_path`` (absolute).
    """
    if annotated_layout not in ('merged', 'split'):
        raise ValueError(
            f"annotated_layout must be 'merged' or 'split', got "
            f'{annotated_layout!r}.'
        )
    shapes = dict(SMALL_IMAGE_SHAPES if image_shapes is None else image_shapes)
    rng = np.random.default_rng(seed)
    raw_dir = osp.join(root, 'raw')
    merged = annotated_layout == 'merged'
    gt_dir = osp.join(root, 'gt_depth' if merged else 'data_depth_annotated')
    calib = {}
    for date in sorted({f[0] for f in FIXTURE_FRAMES}):
        calib[date] = write_calib_files(
            osp.join(raw_dir, date),
            shapes[date],
            kitti_p_rect(date, shapes[date]),
        )
    scans: Dict[Tuple[str, int], np.ndarray] = {}
    frames = []
    for date, drive, cam, frame, subset in FIXTURE_FRAMES:
        shape = shapes[date]
        rgb = f'{date}/{drive}/image_0{cam}/data/{frame:010d}.png'
        img = _image(rng, shape)
        img_path = osp.join(raw_dir, rgb)
        os.makedirs(osp.dirname(img_path), exist_ok=True)
        cv2.imwrite(img_path, img[..., ::-1])
        velodyne_path = osp.join(
            raw_dir,
            date,
            drive,
            'velodyne_points',
            'data',
            f'{frame:010d}.bin',
        )
        if (drive, frame) not in scans:
            scans[(drive, frame)] = random_velodyne_scan(rng)
            write_velodyne_scan(velodyne_path, scans[(drive, frame)])
        gt, gt_png = None, None
        if subset is not None:
            gt = (
                f'{drive}/proj_depth/groundtruth/image_0{cam}/{frame:010d}.png'
            )
            gt_png = _annotated_png(rng, shape)
            folder = gt_dir if merged else osp.join(gt_dir, subset)
            write_depth_png(osp.join(folder, gt), gt_png)
        intrinsics = calib[date]['intrinsics'][cam]
        frames.append(
            dict(
                date=date,
                drive=drive,
                cam=cam,
                frame=frame,
                rgb=rgb,
                gt=gt,
                focal=float(f'{intrinsics[0]:.4f}'),
                intrinsics=intrinsics,
                image_shape=shape,
                img=img,
                gt_png=gt_png,
                velodyne=scans[(drive, frame)],
                img_path=img_path,
                velodyne_path=velodyne_path,
            )
        )
    splits = dict(
        bts_test='splits/eigen_test_files_with_gt.txt',
        bts_train='splits/eigen_train_files_with_gt.txt',
        mono_test='splits/eigen/test_files.txt',
        mono_train='splits/eigen_full/train_files.txt',
    )
    side = {2: 'l', 3: 'r'}
    contents = dict(
        bts_test=[
            f'{frames[i]["rgb"]} {frames[i]["gt"]} {frames[i]["focal"]}'
            for i in TEST_FRAMES
        ],
        bts_train=[
            f'{frames[i]["rgb"]} {frames[i]["gt"]} {frames[i]["focal"]}'
            for i in TRAIN_FRAMES
        ],
        mono_test=[
            f'{frames[i]["date"]}/{frames[i]["drive"]} {frames[i]["frame"]} '
            f'{side[frames[i]["cam"]]}'
            for i in TEST_FRAMES
        ],
        mono_train=[
            f'{frames[i]["date"]}/{frames[i]["drive"]} {frames[i]["frame"]} '
            f'{side[frames[i]["cam"]]}'
            for i in TRAIN_FRAMES
        ],
    )
    for key, rel in splits.items():
        path = osp.join(root, rel)
        os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write('\n'.join(contents[key]) + '\n')
    return dict(
        root=root,
        raw_dir=raw_dir,
        gt_dir=gt_dir,
        splits=splits,
        calib=calib,
        frames=frames,
    )


__all__ = [
    'FIXTURE_FRAMES',
    'TEST_FRAMES',
    'TRAIN_FRAMES',
    'SMALL_IMAGE_SHAPES',
    'write_calib_files',
    'kitti_p_rect',
    'write_velodyne_scan',
    'random_velodyne_scan',
    'write_depth_png',
    'write_kitti_dataset',
]
