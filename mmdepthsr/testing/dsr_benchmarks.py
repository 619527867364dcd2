"""Tiny Middlebury / Lu / RGB-D-D test sets in their shipped formats.

The layout and the file formats of the ``RawDatasets/`` folder of the
GDSR-DCTNet repository (see :class:`mmdepthsr.datasets.DSRBenchmarkDataset`):
8-bit grey (``L``) PNG depth with RGB PNG colour for Middlebury and Lu,
16-bit (``I;16``) PNG depth in millimetres with JPEG colour for RGB-D-D.
The maps are synthetic; nothing here comes from the real sets.

:func:`find_dsr_benchmarks` locates the real sets for the tests that use
them (they are never copied into the repository).
"""

import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from PIL import Image

#: Environment variable naming the folder that holds ``Middlebury/``,
#: ``Lu/`` and ``RGBDD/``.
DSR_BENCHMARKS_ENV = 'MMDEPTHSR_DSR_BENCHMARKS'

_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

#: File names of pair ``i`` (1-based) in each set, as shipped.
_NAMES = dict(
    Middlebury=(
        'Middlebury_{:02d}_output_color.png',
        'Middlebury_{:02d}_output_depth.png',
    ),
    Lu=('RGBD_{:02d}_ouput_color.png', 'RGBD_{:02d}_output_depth.png'),
    RGBDD=('2020050911{:04d}_RGB.jpg', '2020050911{:04d}_HR_gt.png'),
)


def find_dsr_benchmarks() -> Optional[str]:
    """The folder of the real test sets, or None when it is not here.

    ``$MMDEPTHSR_DSR_BENCHMARKS`` if set, else ``shared/data/dsr_benchmarks``
    beside the repository root (``<repo>/../shared/data/dsr_benchmarks``).
    A folder counts when it holds ``Middlebury/``, ``Lu/`` and ``RGBDD/``.
    """
    candidates = [
        os.environ.get(DSR_BENCHMARKS_ENV),
        osp.join(osp.dirname(_ROOT), 'shared', 'data', 'dsr_benchmarks'),
    ]
    for path in candidates:
        if path and all(
            osp.isdir(osp.join(path, s)) for s in ('Middlebury', 'Lu', 'RGBDD')
        ):
            return path
    return None


def write_dsr_benchmark_set(
    root: str,
    folder: str,
    depths: Sequence[np.ndarray],
    rgb_value=128,
    rgbs: Optional[Sequence[np.ndarray]] = None,
) -> List[Dict[str, str]]:
    """Write one set in the shipped layout under ``root/folder``.

    Args:
        root (str): The folder that holds the sets.
        folder (str): ``'Middlebury'``, ``'Lu'`` or ``'RGBDD'``.
        depths (Sequence[np.ndarray]): One ``H x W`` map per pair: integers
            0..255 for Middlebury and Lu (written as 8-bit ``L`` PNG),
            millimetres 0..65535 for RGB-D-D (16-bit ``I;16`` PNG).
        rgb_value (int): Grey value of the flat colour images (a flat JPEG
            decodes to exactly this value). Defaults to 128.
        rgbs (Sequence[np.ndarray], optional): ``H x W x 3`` uint8 colour
            images to write instead of flat ones, one per map.

    Returns:
        list[dict]: ``img_path`` and ``depth_path`` of every pair, in
        order.
    """
    img_name, depth_name = _NAMES[folder]
    img_dir = osp.join(root, folder, 'RGB')
    depth_dir = osp.join(root, folder, 'Depth')
    os.makedirs(img_dir, exist_ok=True)
    os.makedirs(depth_dir, exist_ok=True)
    pairs = []
    for i, depth in enumerate(depths, start=1):
        depth = np.asarray(depth)
        height, width = depth.shape
        if rgbs is None:
            rgb = np.full((height, width, 3), rgb_value, np.uint8)
        else:
            rgb = np.asarray(rgbs[i - 1], np.uint8)
            if rgb.shape != (height, width, 3):
                raise ValueError(
                    f'write_dsr_benchmark_set: colour image {i} is '
                    f'{rgb.shape}, its map is {(height, width)}.'
                )
        img_path = osp.join(img_dir, img_name.format(i))
        depth_path = osp.join(depth_dir, depth_name.format(i))
        if folder == 'RGBDD':
            Image.fromarray(rgb).save(img_path, quality=95)
            Image.fromarray(depth.astype(np.uint16)).save(depth_path)
        else:
            Image.fromarray(rgb).save(img_path)
            Image.fromarray(depth.astype(np.uint8)).save(depth_path)  # L
        pairs.append(dict(img_path=img_path, depth_path=depth_path))
    return pairs


def reference_bicubic_rmse(hr, scale, clip, factor):
    """Bicubic RMSE of one map under DCTNet's protocol, in numpy + PIL only.

    Crop to a multiple of ``scale`` (top-left), PIL bicubic down, normalise
    by the HR min / max, PIL bicubic up, de-normalise, optionally clip
    output and ground truth to [0, 255], RMSE times ``factor`` (0.1 for
    millimetres to cm). Independent of the toolbox's transforms: tests
    compare the toolbox with it.
    """
    height, width = hr.shape
    hr = hr[: height - height % scale, : width - width % scale]
    hr = hr.astype(np.float32)
    height, width = hr.shape
    lr = Image.fromarray(hr).resize(
        (width // scale, height // scale), Image.BICUBIC
    )
    low, high = float(hr.min()), float(hr.max())
    lr = (np.array(lr, np.float64) - low) / (high - low)
    up = Image.fromarray(lr.astype(np.float32)).resize(
        (width, height), Image.BICUBIC
    )
    up = np.array(up, np.float64) * (high - low) + low
    gt = hr.astype(np.float64)
    if clip:
        up, gt = np.clip(up, 0, 255), np.clip(gt, 0, 255)
    return float(np.sqrt(np.mean((up - gt) ** 2))) * factor


__all__ = [
    'DSR_BENCHMARKS_ENV',
    'find_dsr_benchmarks',
    'reference_bicubic_rmse',
    'write_dsr_benchmark_set',
]
