"""Prepare KITTI depth for the Eigen split (BTS and Eigen protocols).

Two steps, each ending with a check summary:

``merge-annotated``
    The annotated depth maps of Uhrig et al. 2017 (``data_depth_annotated.
    zip``) come as ``train/<drive>/...`` and ``val/<drive>/...``; BTS and
    the MDE toolbox read them from one folder. Every drive folder of both
    subsets is linked (default) or copied into ``OUT``::

        python tools/dataset_converters/kitti.py merge-annotated \\
            data/kitti/data_depth_annotated data/kitti/gt_depth \\
            --split-file data/kitti/splits/eigen_test_files_with_gt.txt

``export-velodyne``
    Projects the velodyne scan of every frame of a split file with the
    Eigen protocol (``mmdepthsr.datasets.transforms.lidar``) and writes
    uint16 PNGs (metres x 256, 0 = no point; 1/256 m steps, at most
    255.996 m) under ``OUT`` with the image's relative path, so that
    evaluation reads them with ``LoadDepth(depth_scale=256)`` instead of
    projecting each time::

        python tools/dataset_converters/kitti.py export-velodyne \\
            data/kitti/raw data/kitti/splits/eigen_test_files_with_gt.txt \\
            data/kitti/gt_velodyne
"""

import argparse
import os
import os.path as osp
import shutil
import sys
from typing import Dict, List, Optional

import cv2
import numpy as np
from mmengine.utils import ProgressBar

from mmdepthsr.datasets.kitti import parse_kitti_split
from mmdepthsr.datasets.transforms.lidar import (
    CAM_TO_CAM_FILE,
    VELO_TO_CAM_FILE,
    kitti_image_shape,
    load_velodyne_points,
    project_velodyne,
    read_calib_file,
    velodyne_to_image,
)
from mmdepthsr.structures.protocols import (
    KITTI_DEPTH_SCALE,
    KITTI_EIGEN_TEST_SIZES,
)

_GT_SUBDIR = osp.join('proj_depth', 'groundtruth')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)

    merge = sub.add_parser(
        'merge-annotated',
        help='merge data_depth_annotated train/ and val/ into one folder',
    )
    merge.add_argument(
        'annotated_root', help='folder holding train/ and val/ (the zip)'
    )
    merge.add_argument('out_dir', help='merged folder (e.g. gt_depth)')
    merge.add_argument(
        '--copy',
        action='store_true',
        help='copy the drive folders instead of symlinking them',
    )
    merge.add_argument(
        '--split-file',
        action='append',
        default=[],
        help='BTS split file whose ground truth to check (repeatable)',
    )
    merge.add_argument(
        '--num-check',
        type=int,
        default=20,
        help='depth maps read for the value check (evenly spaced)',
    )

    export = sub.add_parser(
        'export-velodyne',
        help='project velodyne scans of a split into uint16 PNGs',
    )
    export.add_argument('raw_root', help='KITTI raw data folder')
    export.add_argument('split_file', help='BTS or monodepth2 split file')
    export.add_argument('out_dir', help='output folder (e.g. gt_velodyne)')
    export.add_argument(
        '--ann-format', choices=('bts', 'monodepth2'), default='bts'
    )
    export.add_argument(
        '--camera-z',
        action='store_true',
        help='store camera z instead of the velodyne x distance '
        '(vel_depth=False)',
    )
    export.add_argument(
        '--overwrite', action='store_true', help='rewrite existing PNGs'
    )
    return parser.parse_args(argv)


def _list_pngs(folder: str) -> List[str]:
    paths = []
    for dirpath, _, names in os.walk(folder, followlinks=True):
        paths += [osp.join(dirpath, n) for n in names if n.endswith('.png')]
    return sorted(paths)


def _depth_stats(paths: List[str]) -> Dict[str, float]:
    """Read PNG depth maps; return value ranges (metres)."""
    low, high, valid, total, bad = np.inf, 0.0, 0, 0, []
    for path in paths:
        png = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        if png is None or png.dtype != np.uint16 or png.ndim != 2:
            bad.append(path)
            continue
        depth = png[png > 0] / KITTI_DEPTH_SCALE
        valid += depth.size
        total += png.size
        if depth.size:
            low, high = min(low, depth.min()), max(high, depth.max())
    return dict(
        num_read=len(paths),
        not_uint16=bad,
        min_m=float(low) if valid else float('nan'),
        max_m=float(high),
        valid_fraction=valid / total if total else 0.0,
    )


def merge_annotated(args: argparse.Namespace) -> int:
    drives = []
    for subset in ('train', 'val'):
        folder = osp.join(args.annotated_root, subset)
        if not osp.isdir(folder):
            raise FileNotFoundError(
                f'{folder} not found: expected the train/ and val/ folders '
                'of data_depth_annotated.zip.'
            )
        drives += [
            (subset, name)
            for name in sorted(os.listdir(folder))
            if osp.isdir(osp.join(folder, name))
        ]
    names = [name for _, name in drives]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(
            f'drive folder(s) {duplicates} appear in both train/ and val/ '
            f'of {args.annotated_root}; cannot merge them.'
        )
    os.makedirs(args.out_dir, exist_ok=True)
    counts = dict(train=0, val=0)
    present = 0
    bar = ProgressBar(len(drives))
    for subset, name in drives:
        src = osp.abspath(osp.join(args.annotated_root, subset, name))
        dst = osp.join(args.out_dir, name)
        if osp.lexists(dst):
            present += 1
        elif args.copy:
            shutil.copytree(src, dst)
        else:
            os.symlink(src, dst, target_is_directory=True)
        counts[subset] += len(_list_pngs(osp.join(src, _GT_SUBDIR)))
        bar.update()
    print()

    pngs = _list_pngs(args.out_dir)
    step = max(1, len(pngs) // max(args.num_check, 1))
    stats = _depth_stats(pngs[::step][: args.num_check])
    print('KITTI annotated depth merged into', args.out_dir)
    print(
        f'  drives: {len(drives)} ({sum(s == "train" for s, _ in drives)} '
        f'train, {sum(s == "val" for s, _ in drives)} val; '
        f'{present} already present, left as they were)'
    )
    print(
        f'  depth maps: {counts["train"]} train + {counts["val"]} val = '
        f'{counts["train"] + counts["val"]}'
    )
    print(
        f'  values of {stats["num_read"]} maps: {stats["min_m"]:.3f} .. '
        f'{stats["max_m"]:.3f} m, {100 * stats["valid_fraction"]:.2f}% '
        'pixels valid'
    )
    status = 0
    if stats['not_uint16']:
        print('  NOT uint16 single-channel PNG:', stats['not_uint16'][:5])
        status = 1
    for split_file in args.split_file:
        entries = parse_kitti_split(split_file, 'bts')
        none = sum(e['gt'] is None for e in entries)
        missing = [
            f'{split_file}:{e["line"]} {e["gt"]}'
            for e in entries
            if e['gt'] is not None
            and not osp.isfile(osp.join(args.out_dir, e['gt']))
        ]
        print(
            f'  {split_file}: {len(entries)} frames, {none} with GT "None", '
            f'{len(entries) - none - len(missing)} maps found, '
            f'{len(missing)} missing'
        )
        if len(entries) == KITTI_EIGEN_TEST_SIZES['velodyne']:
            print(
                '    (Eigen test split: '
                f'{KITTI_EIGEN_TEST_SIZES["annotated"]} annotated frames '
                'expected)'
            )
        for line in missing[:10]:
            print('    missing:', line)
        status = status or int(bool(missing))
    return status


def export_velodyne(args: argparse.Namespace) -> int:
    entries = parse_kitti_split(args.split_file, args.ann_format)
    calib: Dict[tuple, Optional[tuple]] = {}
    written, skipped, missing = 0, 0, []
    low, high, points, clipped = np.inf, 0.0, [], 0
    bar = ProgressBar(len(entries))
    for entry in entries:
        where = f'{args.split_file}:{entry["line"]}'
        calib_dir = osp.join(args.raw_root, entry['date'])
        scan = osp.join(
            args.raw_root,
            entry['date'],
            entry['drive'],
            'velodyne_points',
            'data',
            f'{entry["frame"]:010d}.bin',
        )
        out = osp.join(args.out_dir, osp.splitext(entry['rgb'])[0] + '.png')
        key = (calib_dir, entry['cam'])
        if key not in calib:
            files = [
                osp.join(calib_dir, name)
                for name in (CAM_TO_CAM_FILE, VELO_TO_CAM_FILE)
            ]
            if all(osp.isfile(f) for f in files):
                cam_to_cam = read_calib_file(files[0])
                calib[key] = (
                    velodyne_to_image(
                        cam_to_cam,
                        read_calib_file(files[1]),
                        entry['cam'],
                        tuple(files),
                    ),
                    kitti_image_shape(cam_to_cam, entry['cam'], files[0]),
                )
            else:
                calib[key] = None
        bar.update()
        if calib[key] is None:
            missing.append(f'{where} calibration in {calib_dir}')
            continue
        if not osp.isfile(scan):
            missing.append(f'{where} {scan}')
            continue
        if osp.isfile(out) and not args.overwrite:
            skipped += 1
            continue
        depth = project_velodyne(
            load_velodyne_points(scan),
            *calib[key],
            vel_depth=not args.camera_z,
        )
        png = np.round(depth.astype(np.float64) * KITTI_DEPTH_SCALE)
        clipped += int((png > 65535).sum())
        png = np.clip(png, 0, 65535).astype(np.uint16)
        os.makedirs(osp.dirname(out), exist_ok=True)
        if not cv2.imwrite(out, png):
            raise OSError(f'cannot write {out}')
        valid = depth[depth > 0]
        points.append(valid.size)
        if valid.size:
            low, high = min(low, valid.min()), max(high, valid.max())
        written += 1
    print()
    print('KITTI velodyne depth exported to', args.out_dir)
    print(
        f'  {args.split_file}: {len(entries)} frames, {written} written, '
        f'{skipped} already present (use --overwrite), {len(missing)} '
        'missing scan or calibration'
    )
    print(
        '  stored value: '
        + ('camera z' if args.camera_z else 'velodyne x (forward) distance')
    )
    if points:
        print(
            f'  depth {low:.3f} .. {high:.3f} m; valid pixels per frame '
            f'{min(points)} .. {max(points)} (mean {np.mean(points):.0f})'
        )
    if clipped:
        print(f'  {clipped} pixel(s) beyond 255.996 m clipped')
    for line in missing[:10]:
        print('  missing:', line)
    return int(bool(missing))


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.command == 'merge-annotated':
        return merge_annotated(args)
    return export_velodyne(args)


if __name__ == '__main__':
    sys.exit(main())
