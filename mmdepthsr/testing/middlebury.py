"""Tiny Middlebury 2005 scenes in the original on-disk formats, for tests.

Two writers: the Middlebury 2005 download layout (``<Scene>/view1.png``,
``<Scene>/disp1.png`` with 0 = unknown) and PMBANet's shipped test files
(``test_gt/<i>.png``, ``test_color/<i>.png``, Sunbaoli/PMBANet_DSR).
"""

import os
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

import cv2
import numpy as np


def _scene_maps(
    shape: Tuple[int, int],
    rng: Optional[np.random.Generator] = None,
    hole_fraction: float = 0.0,
) -> Tuple[np.ndarray, np.ndarray]:
    """An RGB image and an 8-bit disparity map with a raised box."""
    height, width = shape
    rows, cols = np.mgrid[0:height, 0:width]
    disp = 40 + (cols * 100) // max(width - 1, 1)  # 40..140, left to right
    top, left = height // 4, width // 3
    disp[top : top + height // 2, left : left + width // 3] += 80
    disp = disp.astype(np.uint8)
    rgb = np.stack(
        [
            (rows * 255 // max(height - 1, 1)),
            (cols * 255 // max(width - 1, 1)),
            disp.astype(np.int64),
        ],
        axis=-1,
    ).astype(np.uint8)
    if hole_fraction > 0:
        holes = rng.random(shape) < hole_fraction
        holes[:, :3] = True  # a band of unknown disparity on the left
        disp = np.where(holes, 0, disp).astype(np.uint8)
    return rgb, disp


def write_middlebury2005_scenes(
    root: str,
    scenes: Sequence[str] = ('Art', 'Books'),
    shape: Tuple[int, int] = (70, 150),
    hole_fraction: float = 0.05,
    seed: int = 0,
) -> Dict[str, dict]:
    """Write scenes in the Middlebury 2005 download layout.

    Each scene folder gets ``view1.png`` (RGB, written so that a reader
    converting BGR -> RGB gets ``rgb``) and ``disp1.png`` (8-bit grey,
    0 = unknown: random pixels plus the 3 leftmost columns).

    Args:
        root (str): Target folder.
        scenes (Sequence[str]): Scene folder names.
        shape (tuple[int, int]): ``(H, W)`` of every scene, e.g. not a
            multiple of 64 so that the converter crops.
        hole_fraction (float): Fraction of random unknown pixels.
        seed (int): Seed of the holes.

    Returns:
        dict[str, dict]: Per scene ``view1`` and ``disp1`` paths and the
        ``rgb`` (H, W, 3) and ``disp`` (H, W) uint8 arrays written.
    """
    rng = np.random.default_rng(seed)
    written = {}
    for scene in scenes:
        rgb, disp = _scene_maps(tuple(shape), rng, hole_fraction)
        folder = osp.join(root, scene)
        os.makedirs(folder, exist_ok=True)
        view1 = osp.join(folder, 'view1.png')
        disp1 = osp.join(folder, 'disp1.png')
        cv2.imwrite(view1, rgb[..., ::-1])
        cv2.imwrite(disp1, disp)
        written[scene] = dict(view1=view1, disp1=disp1, rgb=rgb, disp=disp)
    return written


def write_pmbanet_test_files(
    root: str,
    shapes: Sequence[Tuple[int, int]] = ((64, 128),) * 6,
) -> Dict[int, dict]:
    """Write PMBANet-style test files ``test_gt/<i>.png``, ``test_color/``.

    The maps are hole-free and their sizes should be multiples of 64, as
    in the shipped files.

    Args:
        root (str): Target folder (plays ``color-guided/data``).
        shapes (Sequence[tuple[int, int]]): ``(H, W)`` of files 1, 2, ...
            File ``i`` has disparity ``i`` levels above the others.

    Returns:
        dict[int, dict]: Per file number the ``gt`` and ``color`` paths
        and the ``rgb`` and ``disp`` arrays written.
    """
    written = {}
    for index, shape in enumerate(shapes, start=1):
        rgb, disp = _scene_maps(tuple(shape))
        disp = np.clip(disp.astype(np.int64) + index, 0, 255).astype(np.uint8)
        gt = osp.join(root, 'test_gt', f'{index}.png')
        color = osp.join(root, 'test_color', f'{index}.png')
        os.makedirs(osp.dirname(gt), exist_ok=True)
        os.makedirs(osp.dirname(color), exist_ok=True)
        cv2.imwrite(gt, disp)
        cv2.imwrite(color, rgb[..., ::-1])
        written[index] = dict(gt=gt, color=color, rgb=rgb, disp=disp)
    return written


__all__ = ['write_middlebury2005_scenes', 'write_pmbanet_test_files']
