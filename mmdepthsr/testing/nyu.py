"""Tiny NYU Depth v2 fixtures in the original on-disk formats.

- :func:`write_nyu_labeled_mat`: ``nyu_depth_v2_labeled.mat`` as MATLAB
  v7.3 writes it (HDF5 with a 512-byte MAT header, arrays transposed,
  ``MATLAB_class`` attributes, cell arrays of strings as object references
  to uint16 char arrays in ``#refs#``).
- :func:`write_nyu_splits_mat`: ``splits.mat`` (MATLAB v5, 1-based uint16
  column vectors).
- :func:`write_nyu_labeled_layout`: the PNG layout of
  ``tools/dataset_converters/nyu.py``, written directly.
- :func:`write_nyu_sync_layout`: the BTS (cleinc/bts) "sync" layout with
  its split files.

Every frame is 480 x 640 and has known content (:func:`nyu_fixture_frame`):
a fronto-parallel wall and a floor seen by the NYU camera, a red 8 x 8
block and a depth marker in the top-left corner (so a transposed or flipped
conversion is visible), a raw depth that is missing on the left border and
in one hole, and labels whose 894 -> 40 -> 13 mapping is known.
"""

import json
import os
import os.path as osp
from datetime import datetime
from typing import Dict, Optional, Sequence

import cv2
import h5py
import numpy as np
import scipy.io

from mmdepthsr.datasets.nyu import (
    NYU_LABELED_LAYOUT,
    nyu_label_luts,
    nyu_official_test_indices,
)
from mmdepthsr.structures.protocols import NYU_IMAGE_SHAPE, NYU_INTRINSICS

#: Scene types cycled over the fixture frames.
FIXTURE_SCENE_TYPES = ('kitchen', 'bedroom', 'bathroom')
#: 894-class ids of the fixture regions and their 40 / 13-class ids.
FIXTURE_LABELS = dict(
    wall=(21, 1, 12),
    floor=(11, 2, 5),
    chair=(5, 5, 4),
    last=(894, 40, 7),
    unlabelled=(0, 0, 0),
)
#: Top-left marker block (rows, cols) of every map.
MARKER = (slice(0, 8), slice(0, 8))
#: Raw depth: missing left of this column, and in this block.
RAW_MISSING_COLS = 40
RAW_HOLE = (slice(100, 140), slice(300, 360))
#: A raw-depth pixel with a value of its own (metres).
RAW_MARKER_PIXEL = (60, 100)
RAW_MARKER_DEPTH = 2.71828
#: BTS focal column.
SYNC_FOCAL = 518.8579


def nyu_fixture_frame(index: int) -> dict:
    """Content of fixture frame ``index`` (480 x 640, metres).

    The camera (NYU intrinsics) looks horizontally at a wall ``4 + 0.25 *
    index`` m away, standing ``1.2 + 0.05 * index`` m above a floor. The
    blue channel of the image is ``(50 + 40 * index) % 256`` and its
    top-left 8 x 8 block is red, ``1.23456 + 0.1 * index`` m
    deep and unlabelled; the raw depth is 0 on columns < 40 and in
    :data:`RAW_HOLE`, and :data:`RAW_MARKER_DEPTH` at
    :data:`RAW_MARKER_PIXEL`.

    Returns:
        dict: ``img`` (H, W, 3) uint8 RGB, ``depth`` and ``raw_depth``
        (H, W) float32 metres, ``labels`` (H, W) uint16 894-class ids,
        ``normals`` (H, W, 3) float32 (wall (0, 0, -1), floor (0, -1, 0),
        zero on the marker and where the raw depth is missing), ``floor``
        and ``wall`` masks, ``scene``, ``scene_type``.
    """
    height, width = NYU_IMAGE_SHAPE
    fy, cy = NYU_INTRINSICS[1], NYU_INTRINSICS[3]
    wall_z = 4.0 + 0.25 * index
    cam_height = 1.2 + 0.05 * index
    v, u = np.indices((height, width), dtype=np.float64)
    below = v > cy
    floor_z = np.where(below, cam_height * fy / np.maximum(v - cy, 1e-9), 0)
    floor = below & (floor_z < wall_z)
    depth = np.where(floor, floor_z, wall_z)
    depth[MARKER] = 1.23456 + 0.1 * index

    raw = depth.copy()
    raw[:, :RAW_MISSING_COLS] = 0
    raw[RAW_HOLE] = 0
    raw[RAW_MARKER_PIXEL] = RAW_MARKER_DEPTH

    labels = np.full((height, width), FIXTURE_LABELS['wall'][0], np.uint16)
    labels[floor] = FIXTURE_LABELS['floor'][0]
    labels[300:340, 500:560] = FIXTURE_LABELS['chair'][0]
    labels[200:220, 100:140] = FIXTURE_LABELS['last'][0]
    labels[MARKER] = 0

    normals = np.zeros((height, width, 3), np.float32)
    normals[..., 2] = -1.0
    normals[floor] = (0.0, -1.0, 0.0)
    normals[MARKER] = 0.0
    normals[raw == 0] = 0.0

    img = np.empty((height, width, 3), np.uint8)
    img[..., 0] = np.round(u * 255 / (width - 1))
    img[..., 1] = np.round(v * 255 / (height - 1))
    img[..., 2] = (50 + 40 * index) % 256
    img[MARKER] = (255, 0, 0)

    scene_type = FIXTURE_SCENE_TYPES[index % len(FIXTURE_SCENE_TYPES)]
    return dict(
        img=img,
        depth=depth.astype(np.float32),
        raw_depth=raw.astype(np.float32),
        labels=labels,
        normals=normals,
        floor=floor,
        wall=~floor,
        scene=f'{scene_type}_{index:04d}a',
        scene_type=scene_type,
    )


def _mat_header() -> bytes:
    """The 128-byte MAT-file header MATLAB puts in the HDF5 user block."""
    text = (
        'MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: '
        f'{datetime(2012, 1, 1).strftime("%a %b %d %H:%M:%S %Y")} '
        'HDF5 schema 1.00 .'
    )
    return (
        text.encode('ascii').ljust(116, b' ')
        + b'\x00' * 8
        + (0x0200).to_bytes(2, 'little')
        + b'IM'
    )


def _matlab_class(obj, name: str) -> None:
    obj.attrs['MATLAB_class'] = np.bytes_(name)


def _write_cellstr(f: h5py.File, key: str, strings: Sequence[str]) -> None:
    """A MATLAB ``N x 1`` cell array of char row vectors."""
    refs_group = f.require_group('#refs#')
    refs = np.empty((1, len(strings)), dtype=h5py.ref_dtype)
    for i, text in enumerate(strings):
        # MATLAB stores a 1 x L char array as uint16 codes, (L, 1) in HDF5.
        codes = np.array([[ord(c)] for c in text], dtype=np.uint16)
        dataset = refs_group.create_dataset(f'{key}_{i}', data=codes)
        _matlab_class(dataset, 'char')
        dataset.attrs['MATLAB_int_decode'] = np.int32(2)
        refs[0, i] = dataset.ref
    dataset = f.create_dataset(key, data=refs, dtype=h5py.ref_dtype)
    _matlab_class(dataset, 'cell')


def write_nyu_labeled_mat(
    path: str,
    num_images: int = 4,
    names: Optional[Sequence[str]] = None,
) -> dict:
    """Write a tiny ``nyu_depth_v2_labeled.mat`` in MATLAB v7.3 layout.

    Datasets as h5py sees the real file: ``images`` uint8
    ``(N, 3, 640, 480)``, ``depths`` / ``rawDepths`` float32
    ``(N, 640, 480)``, ``labels`` uint16 ``(N, 640, 480)``, ``scenes`` /
    ``sceneTypes`` / ``names`` ``(1, N)`` object references to uint16 char
    arrays; ``MATLAB_class`` attributes as MATLAB writes them.

    Args:
        path (str): File to write.
        num_images (int): Number of frames (:func:`nyu_fixture_frame`).
            Defaults to 4.
        names (Sequence[str], optional): The 894 class names. Defaults to
            ``'class<k>'``.

    Returns:
        dict: ``path``, ``num_images`` and the frames in image layout:
        ``images`` (N, 480, 640, 3) uint8, ``depths`` / ``raw_depths``
        (N, 480, 640) float32, ``labels`` (N, 480, 640) uint16, ``scenes``,
        ``scene_types``, ``names``.
    """
    frames = [nyu_fixture_frame(i) for i in range(num_images)]
    images = np.stack([f['img'] for f in frames])
    depths = np.stack([f['depth'] for f in frames])
    raw_depths = np.stack([f['raw_depth'] for f in frames])
    labels = np.stack([f['labels'] for f in frames])
    scenes = [f['scene'] for f in frames]
    scene_types = [f['scene_type'] for f in frames]
    if names is None:
        names = [f'class{k}' for k in range(1, 895)]
    with h5py.File(path, 'w', userblock_size=512, libver='earliest') as f:
        # MATLAB's H x W x C x N arrays appear reversed to h5py.
        arrays = dict(
            images=(images.transpose(0, 3, 2, 1), 'uint8'),
            depths=(depths.transpose(0, 2, 1), 'single'),
            rawDepths=(raw_depths.transpose(0, 2, 1), 'single'),
            labels=(labels.transpose(0, 2, 1), 'uint16'),
        )
        for key, (array, matlab_class) in arrays.items():
            dataset = f.create_dataset(key, data=np.ascontiguousarray(array))
            _matlab_class(dataset, matlab_class)
        _write_cellstr(f, 'scenes', scenes)
        _write_cellstr(f, 'sceneTypes', scene_types)
        _write_cellstr(f, 'names', names)
    with open(path, 'r+b') as f:
        f.write(_mat_header())
    return dict(
        path=path,
        num_images=num_images,
        images=images,
        depths=depths,
        raw_depths=raw_depths,
        labels=labels,
        scenes=scenes,
        scene_types=scene_types,
        names=list(names),
    )


def write_nyu_splits_mat(
    path: str, train: Sequence[int], test: Sequence[int]
) -> dict:
    """Write ``splits.mat`` (MATLAB v5) with **1-based** indices.

    Args:
        path (str): File to write.
        train (Sequence[int]): 1-based ``trainNdxs``.
        test (Sequence[int]): 1-based ``testNdxs``.

    Returns:
        dict: ``path``, ``train`` and ``test`` (1-based lists).
    """
    scipy.io.savemat(
        path,
        dict(
            trainNdxs=np.asarray(train, dtype=np.uint16).reshape(-1, 1),
            testNdxs=np.asarray(test, dtype=np.uint16).reshape(-1, 1),
        ),
        format='5',
    )
    return dict(path=path, train=list(train), test=list(test))


def official_fixture_splits(num_images: int) -> Dict[str, list]:
    """The official split restricted to the first ``num_images`` frames.

    Returns:
        dict: ``train`` and ``test``, 1-based lists.
    """
    official = set(nyu_official_test_indices().tolist())
    frames = range(1, num_images + 1)
    return dict(
        train=[i for i in frames if i not in official],
        test=[i for i in frames if i in official],
    )


def _encode_normals(normals: np.ndarray) -> np.ndarray:
    rgb = np.round((normals.astype(np.float64) + 1) / 2 * 65535)
    return np.ascontiguousarray(rgb.astype(np.uint16)[..., ::-1])


def _imwrite(path: str, image: np.ndarray) -> None:
    if not cv2.imwrite(path, image):
        raise OSError(f'cannot write {path}')


def write_nyu_labeled_layout(
    root: str, num_images: int = 6, dsr_num_train: int = 4
) -> dict:
    """Write the converted labelled layout (converter output) directly.

    Splits: ``train`` / ``test`` are the official split restricted to the
    frames written (6 frames: test 0, 1; train 2..5), ``dsr_train`` the
    first ``dsr_num_train`` frames, ``dsr_test`` the rest. Normals are the
    analytic ones of :func:`nyu_fixture_frame`.

    Args:
        root (str): Output folder.
        num_images (int): Number of frames. Defaults to 6.
        dsr_num_train (int): Size of ``dsr_train``. Defaults to 4.

    Returns:
        dict: ``root``, ``splits`` (name -> 0-based list), ``frames``
        (list of :func:`nyu_fixture_frame` dicts, with ``labels40`` and
        ``labels13`` added).
    """
    lut40, lut13 = nyu_label_luts()
    for folder in NYU_LABELED_LAYOUT.values():
        os.makedirs(osp.join(root, folder), exist_ok=True)
    official = official_fixture_splits(num_images)
    splits = dict(
        train=[i - 1 for i in official['train']],
        test=[i - 1 for i in official['test']],
        dsr_train=list(range(dsr_num_train)),
        dsr_test=list(range(dsr_num_train, num_images)),
    )
    for name, indices in splits.items():
        with open(
            osp.join(root, NYU_LABELED_LAYOUT['splits'], f'{name}.txt'), 'w'
        ) as f:
            f.write(''.join(f'{i}\n' for i in indices))
    frames = []
    scene_lines = []
    for index in range(num_images):
        frame = nyu_fixture_frame(index)
        frame['labels40'] = lut40[frame['labels']]
        frame['labels13'] = lut13[frame['labels40']]
        name = f'{index:04d}.png'

        def path(kind, name=name):
            return osp.join(root, NYU_LABELED_LAYOUT[kind], name)

        _imwrite(path('img'), frame['img'][..., ::-1])
        _imwrite(
            path('depth'), np.round(frame['depth'] * 1000).astype(np.uint16)
        )
        _imwrite(
            path('raw_depth'),
            np.round(frame['raw_depth'] * 1000).astype(np.uint16),
        )
        _imwrite(path('labels894'), frame['labels'])
        _imwrite(path('labels40'), frame['labels40'])
        _imwrite(path('labels13'), frame['labels13'])
        _imwrite(path('normal'), _encode_normals(frame['normals']))
        scene_lines.append(f'{index} {frame["scene"]} {frame["scene_type"]}')
        frames.append(frame)
    with open(osp.join(root, 'scenes.txt'), 'w') as f:
        f.write(''.join(f'{line}\n' for line in scene_lines))
    with open(osp.join(root, 'meta.json'), 'w') as f:
        json.dump(dict(num_images=num_images, fixture=True), f)
    return dict(root=root, splits=splits, frames=frames)


def write_nyu_sync_layout(
    root: str,
    num_train: int = 3,
    test_indices: Sequence[int] = (0, 1),
    missing_gt_lines: int = 1,
) -> dict:
    """Write the BTS "sync" layout and its split files.

    Training frames go to ``sync/<scene>/rgb_%05d.jpg`` and
    ``sync_depth_%05d.png`` (running number ``7 * k``), listed with a
    leading ``/``; test frames go to
    ``official_splits/test/<sceneType>/rgb_%05d.jpg`` named by their
    0-based labelled index, with the raw depth as ground truth. Depth PNGs
    are uint16 millimetres. ``missing_gt_lines`` extra training lines have
    the depth path ``None``.

    Args:
        root (str): The ``data_root``.
        num_train (int): Training frames. Defaults to 3.
        test_indices (Sequence[int]): 0-based labelled indices of the test
            frames. Defaults to (0, 1).
        missing_gt_lines (int): Training lines without depth. Defaults to 1.

    Returns:
        dict: ``root``, ``train_file`` / ``test_file`` (split files),
        ``train`` / ``test``: lists of dicts with ``img_path``,
        ``depth_path`` (absolute), ``depth_mm`` (the uint16 map written),
        ``img`` (RGB written as JPEG) and ``line``.
    """
    os.makedirs(osp.join(root, 'splits'), exist_ok=True)
    out = dict(root=root, train=[], test=[])

    def write_frame(folder, rel_rgb, rel_depth, frame, depth_key, line):
        img_path = osp.join(root, folder, rel_rgb.lstrip('/'))
        depth_path = osp.join(root, folder, rel_depth.lstrip('/'))
        os.makedirs(osp.dirname(img_path), exist_ok=True)
        depth_mm = np.round(frame[depth_key] * 1000).astype(np.uint16)
        _imwrite(img_path, frame['img'][..., ::-1])
        _imwrite(depth_path, depth_mm)
        return dict(
            img_path=img_path,
            depth_path=depth_path,
            depth_mm=depth_mm,
            img=frame['img'],
            line=line,
        )

    train_lines = []
    for k in range(num_train):
        frame = nyu_fixture_frame(10 + k)
        scene = f'{frame["scene_type"]}_{k:04d}b'
        rgb = f'/{scene}/rgb_{7 * k:05d}.jpg'
        depth = f'/{scene}/sync_depth_{7 * k:05d}.png'
        line = f'{rgb} {depth} {SYNC_FOCAL}'
        train_lines.append(line)
        out['train'].append(
            write_frame('sync', rgb, depth, frame, 'depth', line)
        )
    for _ in range(missing_gt_lines):
        train_lines.append(
            f'{out["train"][0]["line"].split()[0]} None {SYNC_FOCAL}'
        )
    test_lines = []
    for index in test_indices:
        frame = nyu_fixture_frame(index)
        rgb = f'{frame["scene_type"]}/rgb_{index:05d}.jpg'
        depth = f'{frame["scene_type"]}/sync_depth_{index:05d}.png'
        line = f'{rgb} {depth} {SYNC_FOCAL}'
        test_lines.append(line)
        out['test'].append(
            write_frame(
                'official_splits/test', rgb, depth, frame, 'raw_depth', line
            )
        )
    out['train_file'] = osp.join(
        root, 'splits', 'nyudepthv2_train_files_with_gt.txt'
    )
    out['test_file'] = osp.join(
        root, 'splits', 'nyudepthv2_test_files_with_gt.txt'
    )
    for path, lines in (
        (out['train_file'], train_lines),
        (out['test_file'], test_lines),
    ):
        with open(path, 'w') as f:
            f.write(''.join(f'{line}\n' for line in lines))
    return out


__all__ = [
    'FIXTURE_LABELS',
    'nyu_fixture_frame',
    'write_nyu_labeled_mat',
    'write_nyu_splits_mat',
    'official_fixture_splits',
    'write_nyu_labeled_layout',
    'write_nyu_sync_layout',
]
