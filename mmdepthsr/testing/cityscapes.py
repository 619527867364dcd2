"""Tiny Cityscapes trees in the original layout, for tests.

Writes ``leftImg8bit/``, ``disparity/``, ``camera/`` and ``gtFine/`` as the
Cityscapes packages unpack (``{city}_{seq:06d}_{frame:06d}_{type}``), with
the real encodings: 8-bit RGB PNG, 16-bit disparity PNG (``(p - 1) / 256``
pixels, 0 = invalid), camera JSON and 8-bit ``labelIds`` PNG.
"""

import json
import os
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

import cv2
import numpy as np

from mmdepthsr.datasets.cityscapes import CITYSCAPES_IMAGE_SHAPE

#: Camera of a real Cityscapes frame (2048 x 1024): stereo baseline in
#: metres and (fx, fy, u0, v0) in pixels.
REAL_BASELINE = 0.209313
REAL_INTRINSICS = (2262.52, 2265.3017905988554, 1096.98, 513.137)

#: Default cities of each split (two per split, real names).
DEFAULT_CITIES = dict(
    train=('aachen', 'bochum'),
    val=('frankfurt', 'lindau'),
    test=('berlin', 'bonn'),
    train_extra=('bad-honnef', 'dortmund'),
)

#: Disparity PNG values written at row 0, columns 0..3 of every frame:
#: invalid (0), zero disparity (1, invalid as depth), 1 px and 10 px.
KNOWN_DISPARITY = (0, 1, 257, 2561)
#: labelIds written at row 0, columns 0..4: road, car, unlabeled, person,
#: parking.
KNOWN_LABEL_IDS = (7, 26, 0, 24, 9)


def scaled_intrinsics(img_shape: Sequence[int]) -> Tuple[float, ...]:
    """:data:`REAL_INTRINSICS` zoomed from 1024 x 2048 to ``img_shape``.

    Uses the pixel-centre convention of ``Resize``: ``fx' = fx * sx``,
    ``u0' = (u0 + 0.5) * sx - 0.5``.
    """
    sy = img_shape[0] / CITYSCAPES_IMAGE_SHAPE[0]
    sx = img_shape[1] / CITYSCAPES_IMAGE_SHAPE[1]
    fx, fy, u0, v0 = REAL_INTRINSICS
    return (fx * sx, fy * sy, (u0 + 0.5) * sx - 0.5, (v0 + 0.5) * sy - 0.5)


def write_cityscapes_camera(
    path: str, baseline: float, intrinsics: Sequence[float]
) -> dict:
    """Write a ``*_camera.json`` in the Cityscapes format; return it."""
    fx, fy, u0, v0 = (float(v) for v in intrinsics)
    camera = {
        'extrinsic': {
            'baseline': float(baseline),
            'pitch': 0.038,
            'roll': 0.0,
            'x': 1.7,
            'y': 0.1,
            'yaw': -0.0195,
            'z': 1.22,
        },
        'intrinsic': {'fx': fx, 'fy': fy, 'u0': u0, 'v0': v0},
    }
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(camera, f, indent=4)
    return camera


def _path(root, split, city, stem, kind, suffix) -> str:
    return osp.join(root, kind, split, city, stem + suffix)


def _imwrite(path: str, array: np.ndarray) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    if not cv2.imwrite(path, array):
        raise OSError(f'cannot write {path}')


def write_cityscapes(
    root: str,
    splits: Sequence[str] = ('train', 'val'),
    cities: Optional[Dict[str, Sequence[str]]] = None,
    frames_per_city: int = 1,
    img_shape: Sequence[int] = (64, 128),
    seed: int = 0,
    with_disparity: bool = True,
    with_camera: bool = True,
    with_labels: bool = True,
) -> dict:
    """Write a tiny Cityscapes tree under ``root``.

    Every frame gets a random RGB image, a random 16-bit disparity PNG
    (values 30..2599, a fifth of the pixels 0) with :data:`KNOWN_DISPARITY`
    at row 0, columns 0..3, a camera JSON (the real
    camera scaled to ``img_shape``, baseline ``REAL_BASELINE + 0.001 * k``
    for the k-th city of the split) and random ``labelIds`` (0..33) with
    :data:`KNOWN_LABEL_IDS` at row 0, columns 0..4.

    Args:
        root (str): Target folder (the dataset's ``data_root``).
        splits (Sequence[str]): Splits to write. Defaults to train, val.
        cities (dict, optional): Cities of each split. Defaults to
            :data:`DEFAULT_CITIES`.
        frames_per_city (int): Frames per city. Defaults to 1.
        img_shape (Sequence[int]): ``(H, W)``. Defaults to (64, 128).
        seed (int): Seed of the random content. Defaults to 0.
        with_disparity (bool): Write ``disparity/``. Defaults to True.
        with_camera (bool): Write ``camera/``. Defaults to True.
        with_labels (bool): Write ``gtFine/``. Defaults to True.

    Returns:
        dict: ``root`` and ``samples``, a dict split -> list of frames in
        the dataset's order (sorted by city, then name), each a dict with
        ``frame_id``, ``city``, the four paths (``img_path``,
        ``disparity_path``, ``camera_path``, ``seg_map_path``; None when
        not written), ``img`` (RGB), ``disparity`` (uint16 PNG values),
        ``label_ids`` (uint8), ``stereo_baseline`` and ``cam_intrinsics``.
    """
    cities = dict(DEFAULT_CITIES if cities is None else cities)
    height, width = (int(v) for v in img_shape)
    if height < 1 or width < len(KNOWN_LABEL_IDS):
        raise ValueError(f'img_shape {img_shape} is too small.')
    rng = np.random.default_rng(seed)
    intrinsics = scaled_intrinsics((height, width))
    samples = {}
    for split in splits:
        frames = []
        for k, city in enumerate(sorted(cities[split])):
            baseline = REAL_BASELINE + 0.001 * k
            for f in range(frames_per_city):
                stem = f'{city}_{k:06d}_{19 + 10 * f:06d}'
                folder = (root, split, city, stem)
                img = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
                # 0.11..10 px at this width: depths of about 3 to 260 m.
                disparity = rng.integers(
                    30, 2600, (height, width), dtype=np.uint16
                )
                disparity[rng.random((height, width)) < 0.2] = 0
                disparity[0, : len(KNOWN_DISPARITY)] = KNOWN_DISPARITY
                label_ids = rng.integers(0, 34, (height, width), np.uint8)
                label_ids[0, : len(KNOWN_LABEL_IDS)] = KNOWN_LABEL_IDS
                frame = dict(
                    frame_id=stem,
                    city=city,
                    img=img,
                    disparity=disparity,
                    label_ids=label_ids,
                    stereo_baseline=baseline,
                    cam_intrinsics=intrinsics,
                    img_path=_path(*folder, 'leftImg8bit', '_leftImg8bit.png'),
                    disparity_path=None,
                    camera_path=None,
                    seg_map_path=None,
                )
                _imwrite(frame['img_path'], img[..., ::-1])
                if with_disparity:
                    frame['disparity_path'] = _path(
                        *folder, 'disparity', '_disparity.png'
                    )
                    _imwrite(frame['disparity_path'], disparity)
                if with_camera:
                    frame['camera_path'] = _path(
                        *folder, 'camera', '_camera.json'
                    )
                    write_cityscapes_camera(
                        frame['camera_path'], baseline, intrinsics
                    )
                if with_labels:
                    frame['seg_map_path'] = _path(
                        *folder, 'gtFine', '_gtFine_labelIds.png'
                    )
                    _imwrite(frame['seg_map_path'], label_ids)
                frames.append(frame)
        samples[split] = frames
    return dict(root=root, samples=samples)


__all__ = [
    'REAL_BASELINE',
    'REAL_INTRINSICS',
    'DEFAULT_CITIES',
    'KNOWN_DISPARITY',
    'KNOWN_LABEL_IDS',
    'scaled_intrinsics',
    'write_cityscapes_camera',
    'write_cityscapes',
]
