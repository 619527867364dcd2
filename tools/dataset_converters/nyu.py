"""Convert the labelled NYU Depth v2 set into the PNG layout of the toolbox.

Inputs: ``nyu_depth_v2_labeled.mat`` (MATLAB v7.3 = HDF5, 1449 frames;
Silberman et al., ECCV 2012) and ``splits.mat`` (MATLAB v5, 1-based
``trainNdxs`` / ``testNdxs``). Usage::

    python tools/dataset_converters/nyu.py nyu_depth_v2_labeled.mat \
        splits.mat --out-dir data/nyu_labeled [--nproc 4]

Output (file names are 0-based labelled indices with 4 digits)::

    <out>/images/0000.png      RGB 480 x 640, lossless
    <out>/depths/0000.png      in-painted `depths`, uint16 mm, 0 = invalid
    <out>/raw_depths/0000.png  `rawDepths`, uint16 mm, 0 = missing
    <out>/labels894/0000.png   uint16, 0 = unlabelled, 1..894
    <out>/labels40/0000.png    uint8, 0 = void, 1..40 (Gupta et al. 2013)
    <out>/labels13/0000.png    uint8, 0 = void, 1..13 (Couprie et al. 2013)
    <out>/normals/0000.png     uint16 x 3, camera frame (x right, y down,
                               z forward, towards the camera), R, G, B =
                               x, y, z, value round((n + 1) / 2 * 65535),
                               zero vector (32768) = invalid
    <out>/splits/train.txt, test.txt          official 795 / 654
    <out>/splits/dsr_train.txt, dsr_test.txt  first 1000 / last 449
    <out>/scenes.txt           "index scene sceneType" per line
    <out>/meta.json            sources (size, sha256), intrinsics, classes,
                               counts, options

Normals are fitted to the in-painted depth (least-squares planes over
``--normal-window`` pixels, ``mmdepthsr.datasets.geometry``) and kept only
where ``rawDepths`` > 0 (the sensor measured; Fouhey, "Evaluating Surface
Normal Predictions") unless ``--normal-valid filled``.
"""

import argparse
import hashlib
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import h5py
import numpy as np
import scipy.io
from mmengine.utils import ProgressBar, track_parallel_progress

from mmdepthsr.datasets.geometry import (
    DEFAULT_NORMAL_WINDOW,
    normals_from_depth,
)
from mmdepthsr.datasets.nyu import (
    NYU13_CLASSES,
    NYU40_CLASSES,
    NYU_DSR_NUM_TRAIN,
    NYU_LABELED_LAYOUT,
    NYU_NUM_LABELLED,
    nyu_label_luts,
    nyu_official_test_indices,
)
from mmdepthsr.structures.protocols import NYU_IMAGE_SHAPE, NYU_INTRINSICS

#: Datasets of the .mat file the converter reads.
MAT_KEYS = ('images', 'depths', 'rawDepths', 'labels', 'scenes', 'sceneTypes')
#: Largest depth a uint16 millimetre PNG can hold (metres).
MAX_PNG_DEPTH = 65.535


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert nyu_depth_v2_labeled.mat + splits.mat to PNGs.'
    )
    parser.add_argument('mat', help='nyu_depth_v2_labeled.mat (v7.3)')
    parser.add_argument('splits', help='splits.mat (trainNdxs, testNdxs)')
    parser.add_argument(
        '--out-dir', required=True, help='output folder, e.g. data/nyu_labeled'
    )
    parser.add_argument(
        '--nproc', type=int, default=1, help='worker processes (default 1)'
    )
    parser.add_argument(
        '--normal-window',
        type=int,
        default=DEFAULT_NORMAL_WINDOW,
        help='side of the plane-fit window in pixels (odd; default '
        f'{DEFAULT_NORMAL_WINDOW})',
    )
    parser.add_argument(
        '--normal-valid',
        choices=('raw', 'filled'),
        default='raw',
        help="'raw': normals only where rawDepths > 0 (default); "
        "'filled': wherever the in-painted depth is valid",
    )
    parser.add_argument(
        '--dsr-num-train',
        type=int,
        default=NYU_DSR_NUM_TRAIN,
        help='frames 0..n-1 form dsr_train, the rest dsr_test '
        f'(default {NYU_DSR_NUM_TRAIN}, the DJF / DKN protocol; capped at '
        'the number of frames)',
    )
    return parser.parse_args(argv)


def sha256sum(path: str, chunk: int = 1 << 24) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            digest.update(block)
    return digest.hexdigest()


def decode_matlab_string(f: h5py.File, ref) -> str:
    """A MATLAB char array (uint16 codes) behind an HDF5 object reference."""
    dataset = f[ref]
    if dataset.attrs.get('MATLAB_empty', 0):
        return ''
    codes = np.asarray(dataset[()]).ravel(order='F')
    return ''.join(chr(int(c)) for c in codes)


def read_strings(f: h5py.File, key: str) -> List[str]:
    """A MATLAB cell array of strings (``(1, N)`` or ``(N, 1)`` refs)."""
    refs = np.asarray(f[key][()]).ravel()
    return [decode_matlab_string(f, ref) for ref in refs]


def check_mat(f: h5py.File, path: str) -> Tuple[int, Tuple[int, int]]:
    """Check keys and shapes; return the frame count and ``(H, W)``."""
    missing = [key for key in MAT_KEYS if key not in f]
    if missing:
        raise KeyError(
            f'{path}: missing datasets {missing}; is this '
            'nyu_depth_v2_labeled.mat?'
        )
    images = f['images']
    if images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(
            f'{path}: images has shape {images.shape}; expected (N, 3, W, H) '
            '(MATLAB H x W x 3 x N as h5py sees it).'
        )
    num, _, width, height = images.shape
    for key in ('depths', 'rawDepths', 'labels'):
        if f[key].shape != (num, width, height):
            raise ValueError(
                f'{path}: {key} has shape {f[key].shape}; expected '
                f'{(num, width, height)} like images.'
            )
    if (height, width) != tuple(NYU_IMAGE_SHAPE):
        raise ValueError(
            f'{path}: frames are {height} x {width}; the NYU intrinsics '
            f'belong to {NYU_IMAGE_SHAPE[0]} x {NYU_IMAGE_SHAPE[1]} frames.'
        )
    return num, (height, width)


def _column(mat: dict, key: str, path: str) -> np.ndarray:
    if key not in mat:
        raise KeyError(f'{path}: no variable {key!r} (found {sorted(mat)}).')
    values = np.asarray(mat[key]).ravel()
    if values.dtype.kind not in 'uif' or not np.all(values == values // 1):
        raise ValueError(f'{path}: {key} must hold integer indices.')
    return values.astype(np.int64)


def read_splits(path: str, num_images: int) -> Tuple[np.ndarray, np.ndarray]:
    """1-based ``trainNdxs`` / ``testNdxs``, validated against 1..N."""
    mat = scipy.io.loadmat(path)
    train = _column(mat, 'trainNdxs', path)
    test = _column(mat, 'testNdxs', path)
    for name, values in (('trainNdxs', train), ('testNdxs', test)):
        if values.size and (values.min() < 1 or values.max() > num_images):
            raise ValueError(
                f'{path}: {name} must be 1-based indices in 1..{num_images}, '
                f'got values in {values.min()}..{values.max()}.'
            )
        if np.unique(values).size != values.size:
            raise ValueError(f'{path}: {name} has repeated indices.')
    both = np.intersect1d(train, test)
    if both.size:
        raise ValueError(
            f'{path}: trainNdxs and testNdxs share {both.size} indices, '
            f'e.g. {both[:5].tolist()}.'
        )
    missing = np.setdiff1d(
        np.arange(1, num_images + 1), np.union1d(train, test)
    )
    if missing.size:
        raise ValueError(
            f'{path}: {missing.size} of the {num_images} frames are in no '
            f'split, e.g. {missing[:5].tolist()} (1-based).'
        )
    return np.sort(train), np.sort(test)


def compare_with_official(test: np.ndarray, num_images: int) -> Optional[str]:
    """A warning if ``testNdxs`` differs from the official list, else None.

    With fewer than 1449 frames only indices 1..N are compared.
    """
    official = nyu_official_test_indices()
    official = official[official <= num_images]
    if np.array_equal(official, test):
        return None
    extra = np.setdiff1d(test, official)
    lacking = np.setdiff1d(official, test)
    return (
        f'testNdxs differs from the official NYU test split: '
        f'{extra.size} extra (e.g. {extra[:5].tolist()}), {lacking.size} '
        f'missing (e.g. {lacking[:5].tolist()}), 1-based. Results will not '
        'be comparable with published numbers.'
    )


def to_millimetres(depth: np.ndarray) -> Tuple[np.ndarray, int]:
    """Metres -> uint16 mm (rounded); returns the map and the clip count."""
    depth = np.where(np.isfinite(depth) & (depth > 0), depth, 0.0)
    too_far = int((depth > MAX_PNG_DEPTH).sum())
    mm = np.round(np.minimum(depth, MAX_PNG_DEPTH) * 1000.0)
    return mm.astype(np.uint16), too_far


def encode_normals(normals: np.ndarray) -> np.ndarray:
    """Unit normals (H, W, 3) -> uint16 BGR image for ``cv2.imwrite``."""
    rgb = np.round((normals.astype(np.float64) + 1.0) / 2.0 * 65535.0)
    return np.ascontiguousarray(rgb.astype(np.uint16)[..., ::-1])


def _write(path: str, image: np.ndarray) -> None:
    if not cv2.imwrite(path, image):
        raise OSError(f'cannot write {path}')


class FrameConverter:
    """Converts frames of one open .mat file (one instance per process)."""

    def __init__(
        self,
        mat_path: str,
        out_dir: str,
        normal_window: int,
        normal_valid: str,
    ):
        self.mat_path = mat_path
        self.file = h5py.File(mat_path, 'r')
        self.out_dir = out_dir
        self.normal_window = normal_window
        self.normal_valid = normal_valid
        self.lut40, self.lut13 = nyu_label_luts()

    def path(self, kind: str, index: int) -> str:
        return osp.join(
            self.out_dir, NYU_LABELED_LAYOUT[kind], f'{index:04d}.png'
        )

    def __call__(self, index: int) -> dict:
        f = self.file
        # h5py sees MATLAB arrays transposed: (3, W, H) and (W, H).
        img = np.ascontiguousarray(f['images'][index].transpose(2, 1, 0))
        depth = f['depths'][index].T.astype(np.float64)
        raw = f['rawDepths'][index].T.astype(np.float64)
        labels = np.ascontiguousarray(f['labels'][index].T)
        if labels.max() > 894:
            raise ValueError(
                f'{self.mat_path}: labels of frame {index} (0-based) hold '
                f'id {int(labels.max())} > 894.'
            )
        labels = labels.astype(np.uint16)
        depth_mm, far = to_millimetres(depth)
        raw_mm, raw_far = to_millimetres(raw)
        labels40 = self.lut40[labels]
        labels13 = self.lut13[labels40]
        valid = raw_mm > 0 if self.normal_valid == 'raw' else None
        normals = normals_from_depth(
            np.where(depth_mm > 0, depth, 0.0),
            NYU_INTRINSICS,
            window=self.normal_window,
            valid=valid,
        )
        _write(self.path('img', index), img[..., ::-1])
        _write(self.path('depth', index), depth_mm)
        _write(self.path('raw_depth', index), raw_mm)
        _write(self.path('labels894', index), labels)
        _write(self.path('labels40', index), labels40)
        _write(self.path('labels13', index), labels13)
        _write(self.path('normal', index), encode_normals(normals))
        raw_valid = raw_mm > 0
        return dict(
            index=index,
            depth_range=(
                float(depth_mm[depth_mm > 0].min() / 1000)
                if (depth_mm > 0).any()
                else 0.0,
                float(depth_mm.max() / 1000),
            ),
            depth_invalid=int((depth_mm == 0).sum()),
            raw_range=(
                float(raw_mm[raw_valid].min() / 1000)
                if raw_valid.any()
                else 0.0,
                float(raw_mm.max() / 1000),
            ),
            raw_valid=int(raw_valid.sum()),
            clipped=far + raw_far,
            labels894_max=int(labels.max()),
            labelled=int((labels > 0).sum()),
            classes40=np.unique(labels40).tolist(),
            classes13=np.unique(labels13).tolist(),
            normal_valid=int(np.any(normals != 0, axis=-1).sum()),
        )


_WORKER: Optional[FrameConverter] = None


def _init_worker(*args) -> None:
    global _WORKER
    _WORKER = FrameConverter(*args)


def _convert_in_worker(index: int) -> dict:
    return _WORKER(index)


def write_lines(path: str, lines: Sequence) -> None:
    with open(path, 'w', encoding='utf-8') as f:
        f.write(''.join(f'{line}\n' for line in lines))


def summarise(stats: List[dict], splits: Dict[str, np.ndarray]) -> dict:
    """Counts and value ranges over all frames."""
    num_pixels = NYU_IMAGE_SHAPE[0] * NYU_IMAGE_SHAPE[1] * len(stats)
    official_train = set(splits['train'].tolist())
    official_test = set(splits['test'].tolist())
    dsr_test = set(splits['dsr_test'].tolist())
    dsr_train = set(splits['dsr_train'].tolist())
    return dict(
        counts={name: int(len(v)) for name, v in splits.items()},
        depth_range_m=[
            min(s['depth_range'][0] for s in stats),
            max(s['depth_range'][1] for s in stats),
        ],
        depth_invalid_pixels=sum(s['depth_invalid'] for s in stats),
        raw_depth_range_m=[
            min(s['raw_range'][0] for s in stats),
            max(s['raw_range'][1] for s in stats),
        ],
        raw_valid_fraction=sum(s['raw_valid'] for s in stats) / num_pixels,
        clipped_pixels=sum(s['clipped'] for s in stats),
        labels894_max=max(s['labels894_max'] for s in stats),
        labelled_fraction=sum(s['labelled'] for s in stats) / num_pixels,
        classes40_present=sorted(
            set().union(*(s['classes40'] for s in stats))
        ),
        classes13_present=sorted(
            set().union(*(s['classes13'] for s in stats))
        ),
        normal_valid_fraction=sum(s['normal_valid'] for s in stats)
        / num_pixels,
        dsr_test_in_official_train=len(dsr_test & official_train),
        dsr_test_in_official_test=len(dsr_test & official_test),
        dsr_train_in_official_test=len(dsr_train & official_test),
    )


def print_summary(summary: dict, num_images: int, warnings: List[str]):
    counts = summary['counts']
    print('\nNYU Depth v2 labelled set: check summary')
    print(f'  frames: {num_images}')
    print(
        '  splits: '
        + ', '.join(f'{name} {count}' for name, count in counts.items())
    )
    lo, hi = summary['depth_range_m']
    print(
        f'  depths (in-painted): {lo:.3f} .. {hi:.3f} m, '
        f'{summary["depth_invalid_pixels"]} invalid pixels'
    )
    lo, hi = summary['raw_depth_range_m']
    print(
        f'  rawDepths: {lo:.3f} .. {hi:.3f} m, valid fraction '
        f'{summary["raw_valid_fraction"]:.3f}'
    )
    print(
        f'  labels894: max id {summary["labels894_max"]}, labelled '
        f'fraction {summary["labelled_fraction"]:.3f}; 40-class ids '
        f'present {len(summary["classes40_present"])}, 13-class ids '
        f'present {len(summary["classes13_present"])} (0 = void)'
    )
    print(f'  normals: valid fraction {summary["normal_valid_fraction"]:.3f}')
    print(
        f'  DSR test set: {summary["dsr_test_in_official_train"]} '
        f'official-train and {summary["dsr_test_in_official_test"]} '
        'official-test frames (215 / 234 on the full set); DSR train holds '
        f'{summary["dsr_train_in_official_test"]} official-test frames. '
        'Do not train on one protocol and test on the other.'
    )
    for warning in warnings:
        print(f'  WARNING: {warning}')


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Run the conversion; returns the contents of ``meta.json``."""
    args = parse_args(argv)
    for path in (args.mat, args.splits):
        if not osp.isfile(path):
            raise FileNotFoundError(f'input file not found: {path}')
    if args.normal_window < 3 or args.normal_window % 2 == 0:
        raise ValueError(
            f'--normal-window must be odd and >= 3, got {args.normal_window}.'
        )
    try:
        mat = h5py.File(args.mat, 'r')
    except OSError as err:
        raise OSError(
            f'{args.mat}: cannot open as HDF5 (MATLAB v7.3): {err}'
        ) from err
    with mat:
        num_images, shape = check_mat(mat, args.mat)
        scenes = read_strings(mat, 'scenes')
        scene_types = read_strings(mat, 'sceneTypes')
        names894 = read_strings(mat, 'names') if 'names' in mat else None
    for name, values in (('scenes', scenes), ('sceneTypes', scene_types)):
        if len(values) != num_images:
            raise ValueError(
                f'{args.mat}: {name} has {len(values)} entries for '
                f'{num_images} frames.'
            )
        bad = [v for v in values if not v or any(c.isspace() for c in v)]
        if bad:
            raise ValueError(
                f'{args.mat}: {name} has empty or blank-containing names, '
                f'e.g. {bad[:3]}.'
            )
    train, test = read_splits(args.splits, num_images)
    warnings = []
    mismatch = compare_with_official(test, num_images)
    if mismatch:
        warnings.append(mismatch)
        print(f'WARNING: {mismatch}')
    if num_images != NYU_NUM_LABELLED:
        warnings.append(
            f'{num_images} frames instead of {NYU_NUM_LABELLED}; the official '
            'split was compared on the first frames only.'
        )
    if args.dsr_num_train < 0:
        raise ValueError(
            f'--dsr-num-train must be >= 0, got {args.dsr_num_train}.'
        )
    dsr_num_train = min(args.dsr_num_train, num_images)
    splits = dict(
        train=train - 1,
        test=test - 1,
        dsr_train=np.arange(dsr_num_train),
        dsr_test=np.arange(dsr_num_train, num_images),
    )

    for kind in NYU_LABELED_LAYOUT.values():
        os.makedirs(osp.join(args.out_dir, kind), exist_ok=True)
    for name, indices in splits.items():
        write_lines(
            osp.join(
                args.out_dir, NYU_LABELED_LAYOUT['splits'], f'{name}.txt'
            ),
            indices.tolist(),
        )
    write_lines(
        osp.join(args.out_dir, 'scenes.txt'),
        [f'{i} {s} {t}' for i, (s, t) in enumerate(zip(scenes, scene_types))],
    )

    worker_args = (
        args.mat,
        args.out_dir,
        args.normal_window,
        args.normal_valid,
    )
    indices = list(range(num_images))
    print(f'Converting {num_images} frames to {args.out_dir}')
    if args.nproc > 1:
        stats = track_parallel_progress(
            _convert_in_worker,
            indices,
            args.nproc,
            initializer=_init_worker,
            initargs=worker_args,
        )
    else:
        converter = FrameConverter(*worker_args)
        progress = ProgressBar(num_images)
        stats = []
        for index in indices:
            stats.append(converter(index))
            progress.update()
        converter.file.close()

    summary = summarise(stats, splits)
    if summary['clipped_pixels']:
        warnings.append(
            f'{summary["clipped_pixels"]} depth pixels beyond '
            f'{MAX_PNG_DEPTH} m were clipped to it.'
        )
    meta = dict(
        source=dict(
            mat=dict(
                path=osp.abspath(args.mat),
                size_bytes=osp.getsize(args.mat),
                sha256=sha256sum(args.mat),
            ),
            splits=dict(
                path=osp.abspath(args.splits),
                size_bytes=osp.getsize(args.splits),
                sha256=sha256sum(args.splits),
            ),
        ),
        num_images=num_images,
        image_shape=list(shape),
        intrinsics=dict(zip(('fx', 'fy', 'cx', 'cy'), NYU_INTRINSICS)),
        depth_unit='uint16 millimetres, 0 = invalid',
        normals=dict(
            source='in-painted depths, least-squares plane fit',
            window=args.normal_window,
            valid=args.normal_valid,
            encoding='uint16 PNG, R,G,B = x,y,z camera frame (x right, y '
            'down, z forward, towards the camera), round((n + 1) / 2 * '
            '65535), zero vector = invalid',
        ),
        dsr_num_train=dsr_num_train,
        official_split_matches=mismatch is None,
        classes40=list(NYU40_CLASSES),
        classes13=list(NYU13_CLASSES),
        summary=summary,
        warnings=warnings,
    )
    if names894 is not None:
        meta['classes894'] = names894
    with open(osp.join(args.out_dir, 'meta.json'), 'w', encoding='utf-8') as f:
        json.dump(meta, f, indent=2)
    print_summary(summary, num_images, warnings)
    return meta


if __name__ == '__main__':
    main()
