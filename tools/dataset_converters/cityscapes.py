"""Unpack and check the Cityscapes packages for CityscapesDataset.

``CityscapesDataset`` reads the original layout, so there is nothing to
convert; this tool unpacks the downloaded packages into one folder and
checks what the dataset will read. Two commands, each ending with a check
summary:

``extract``
    Unpacks the ``leftImg8bit/``, ``disparity/``, ``camera/``, ``gtFine/``
    (and ``gtCoarse/``) trees of the given zip files into ``OUT`` (their
    README and licence files are left out)::

        python tools/dataset_converters/cityscapes.py extract \\
            leftImg8bit_trainvaltest.zip disparity_trainvaltest.zip \\
            camera_trainvaltest.zip gtFine_trainvaltest.zip \\
            --out-dir data/cityscapes

``check``
    Lists every split present under ``DATA_ROOT`` as the dataset does,
    counts frames per split and city, and reads ``--num-check`` evenly
    spaced frames per split: image size, disparity encoding and the depth
    it gives, label ids::

        python tools/dataset_converters/cityscapes.py check data/cityscapes
"""

import argparse
import os
import os.path as osp
import sys
import zipfile
from collections import Counter
from typing import Dict, List, Optional

import cv2
import numpy as np
from mmengine.utils import ProgressBar
from PIL import Image

from mmdepthsr.datasets.cityscapes import (
    CITYSCAPES_IMAGE_SHAPE,
    CITYSCAPES_SPLITS,
    CityscapesDataset,
    cityscapes_label_map,
)

#: Frames per split (cityscapesScripts README).
EXPECTED_SIZES = dict(train=2975, val=500, test=1525, train_extra=19998)
#: Top-level folders of the packages that the dataset reads.
PACKAGE_FOLDERS = ('leftImg8bit', 'disparity', 'camera', 'gtFine', 'gtCoarse')
#: Depth cap of the toolbox's Cityscapes configs (metres).
DEPTH_CAP = 200.0


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)
    extract = sub.add_parser('extract', help='unpack the package zips')
    extract.add_argument('zips', nargs='+', help='downloaded .zip files')
    extract.add_argument(
        '--out-dir', required=True, help='data root (e.g. data/cityscapes)'
    )
    extract.add_argument(
        '--num-check',
        type=int,
        default=20,
        help='frames read per split by the final check',
    )
    check = sub.add_parser('check', help='check an unpacked data root')
    check.add_argument('data_root', help='folder holding leftImg8bit/ ...')
    check.add_argument(
        '--num-check',
        type=int,
        default=20,
        help='frames read per split (evenly spaced)',
    )
    return parser.parse_args(argv)


def extract(zips: List[str], out_dir: str) -> Dict[str, int]:
    """Unpack the package folders of ``zips``; return files per folder."""
    counts: Counter = Counter()
    os.makedirs(out_dir, exist_ok=True)
    for path in zips:
        if not zipfile.is_zipfile(path):
            raise ValueError(f'{path} is not a zip file (or does not exist).')
        with zipfile.ZipFile(path) as archive:
            members = [
                m
                for m in archive.infolist()
                if m.filename.split('/')[0] in PACKAGE_FOLDERS
                and not m.is_dir()
            ]
            if not members:
                raise ValueError(
                    f'{path} holds none of the folders {PACKAGE_FOLDERS}; '
                    'is it a Cityscapes package?'
                )
            print(f'{osp.basename(path)}: {len(members)} files')
            bar = ProgressBar(len(members))
            for member in members:
                archive.extract(member, out_dir)
                counts[member.filename.split('/')[0]] += 1
                bar.update()
            print()
    return dict(counts)


def _frame_stats(info: dict) -> dict:
    """Read one frame's files; return what the check reports."""
    stats = dict(problems=[])
    img = cv2.imread(info['img_path'], cv2.IMREAD_UNCHANGED)
    if img is None or img.shape[:2] != CITYSCAPES_IMAGE_SHAPE:
        shape = None if img is None else img.shape
        stats['problems'].append(
            f'{info["img_path"]}: shape {shape}, expected '
            f'{CITYSCAPES_IMAGE_SHAPE} x 3'
        )
    if 'disparity_path' in info:
        p = cv2.imread(info['disparity_path'], cv2.IMREAD_UNCHANGED)
        if p is None or p.dtype != np.uint16 or p.ndim != 2:
            stats['problems'].append(
                f'{info["disparity_path"]}: not a single-channel 16-bit PNG'
            )
        else:
            valid = p > 1
            disparity = (p[valid].astype(np.float64) - 1) / 256
            depth = (
                info['stereo_baseline'] * info['cam_intrinsics'][0] / disparity
            )
            stats.update(
                pixels=p.size,
                zero=int(np.sum(p == 0)),
                one=int(np.sum(p == 1)),
                valid=int(valid.sum()),
                beyond_cap=int(np.sum(depth >= DEPTH_CAP)),
                disp_range=(disparity.min(), disparity.max())
                if disparity.size
                else None,
                depth_range=(depth.min(), depth.max()) if depth.size else None,
            )
    if 'seg_map_path' in info:
        with Image.open(info['seg_map_path']) as pil:
            ids = np.array(pil)
        present = np.unique(ids)
        stats['label_ids'] = set(present.tolist())
        lut = cityscapes_label_map(19)
        unknown = present[present >= lut.size]
        if unknown.size:
            stats['problems'].append(
                f'{info["seg_map_path"]}: unknown label ids {unknown.tolist()}'
            )
    return stats


def check(data_root: str, num_check: int = 20) -> int:
    """Print the check summary of every split present; 1 on problems."""
    splits = [
        s
        for s in CITYSCAPES_SPLITS
        if osp.isdir(osp.join(data_root, 'leftImg8bit', s))
    ]
    if not splits:
        print(f'No leftImg8bit/<split> folder under {data_root}.')
        return 1
    problems: List[str] = []
    print(f'Cityscapes check of {data_root}')
    for split in splits:
        has = {
            kind: osp.isdir(osp.join(data_root, kind, split))
            for kind in PACKAGE_FOLDERS
        }
        seg_dir = 'gtCoarse' if split == 'train_extra' else 'gtFine'
        try:
            dataset = CityscapesDataset(
                data_root=data_root,
                split=split,
                with_depth=has['disparity'],
                seg_classes=19 if has[seg_dir] else None,
            )
        except (FileNotFoundError, ValueError) as err:
            problems.append(f'{split}: {err}')
            print(f'[{split}] cannot be listed: {err}')
            continue
        infos = [dataset.get_data_info(i) for i in range(len(dataset))]
        cities = Counter(info['city'] for info in infos)
        expected = EXPECTED_SIZES[split]
        note = '' if len(infos) == expected else f' (expected {expected})'
        print(
            f'[{split}] {len(infos)} frames{note} in {len(cities)} cities; '
            f'disparity: {has["disparity"]}, camera: {has["camera"]}, '
            f'{seg_dir}: {has[seg_dir]}'
        )
        if infos and 'stereo_baseline' in infos[0]:
            baselines = [info['stereo_baseline'] for info in infos]
            fxs = [info['cam_intrinsics'][0] for info in infos]
            print(
                f'  baseline {min(baselines):.4f}..{max(baselines):.4f} m, '
                f'fx {min(fxs):.1f}..{max(fxs):.1f} px'
            )
        count = min(num_check, len(infos))
        picks = np.linspace(0, len(infos) - 1, count).round().astype(int)
        totals: Counter = Counter()
        disp_lo, disp_hi, depth_lo, depth_hi = np.inf, 0.0, np.inf, 0.0
        label_ids: set = set()
        bar = ProgressBar(count)
        for idx in sorted(set(picks.tolist())):
            stats = _frame_stats(infos[idx])
            problems += stats['problems']
            for key in ('pixels', 'zero', 'one', 'valid', 'beyond_cap'):
                totals[key] += stats.get(key, 0)
            if stats.get('disp_range'):
                disp_lo = min(disp_lo, stats['disp_range'][0])
                disp_hi = max(disp_hi, stats['disp_range'][1])
                depth_lo = min(depth_lo, stats['depth_range'][0])
                depth_hi = max(depth_hi, stats['depth_range'][1])
            label_ids |= stats.get('label_ids', set())
            bar.update()
        print()
        if totals['pixels']:
            n = totals['pixels']
            print(
                f'  disparity ({count} frames read): valid '
                f'{totals["valid"] / n:.1%}, p = 0 {totals["zero"] / n:.1%}, '
                f'p = 1 (zero disparity, invalid) {totals["one"] / n:.2%}; '
                f'{disp_lo:.3f}..{disp_hi:.1f} px -> depth '
                f'{depth_lo:.2f}..{depth_hi:.0f} m, '
                f'{totals["beyond_cap"] / max(totals["valid"], 1):.1%} of '
                f'valid pixels at >= {DEPTH_CAP:.0f} m'
            )
        if label_ids:
            print(f'  label ids seen: {sorted(label_ids)}')
    if problems:
        print(f'{len(problems)} problem(s):')
        for line in problems[:20]:
            print('  ' + line)
        return 1
    print('No problem found.')
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    if args.command == 'extract':
        counts = extract(args.zips, args.out_dir)
        print(f'Unpacked into {args.out_dir}: {counts}')
        return check(args.out_dir, args.num_check)
    return check(args.data_root, args.num_check)


if __name__ == '__main__':
    sys.exit(main())
