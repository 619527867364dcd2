"""How well the colour guide of RGB-D pairs is registered to the depth.

A guided DSR model learns to put depth edges where the colour edges are;
on rendered data the two coincide exactly. This tool estimates, per RGB-D
pair of the real DSR test sets, the whole-pixel offset ``(dy, dx)`` of the
colour edges from the depth edges: the offset, within ``--max-shift``,
that maximises the mean colour-gradient magnitude (summed over the
channels) on the strongest depth
edges (the top ``1 - --edge-quantile`` of the depth-gradient magnitudes,
pixels next to holes excluded). ``(dy, dx) = (2, -1)`` means the colour
edge of a surface lies 2 pixels below and 1 pixel left of its depth edge,
as if the image had been moved by ``RandomGuideShift``'s ``(2, -1)``.

One global offset per frame is a rough model: real misregistration varies
with depth (parallax), and a frame without strong depth edges that also
show in the colour gives an arbitrary offset. The per-set summary
(frames at ``(0, 0)``, the median offset length) is what the tool is for;
``--out`` keeps every frame's offset and its peak score.

Examples::

    python tools/analysis_tools/guide_alignment.py \\
        --data-root data/dsr_benchmarks --out guide_alignment.json
    python tools/analysis_tools/guide_alignment.py --sets rgbdd --every 5

Data: ``--data-root``, else ``$MMDEPTHSR_DSR_BENCHMARKS``, else
``data/dsr_benchmarks`` (see docs/dataset_prepare.md).
"""

import argparse
import os
import os.path as osp
import statistics
import sys
from typing import Tuple

import numpy as np
from mmengine.config import Config
from mmengine.fileio import dump
from terminaltables import AsciiTable

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BASE_DIR = osp.join(ROOT, 'configs', '_base_', 'datasets')
SETS = ('middlebury', 'lu', 'rgbdd')
ENV = 'MMDEPTHSR_DSR_BENCHMARKS'


def _gradient_magnitude(image: np.ndarray) -> np.ndarray:
    grad_y, grad_x = np.gradient(image.astype(np.float64))
    return np.hypot(grad_y, grad_x)


def estimate_guide_shift(
    img: np.ndarray,
    depth: np.ndarray,
    max_shift: int = 6,
    edge_quantile: float = 0.95,
) -> Tuple[int, int, float]:
    """The offset of the colour edges from the depth edges of one pair.

    Args:
        img (np.ndarray): ``(H, W, 3)`` colour image (or ``(H, W)`` grey).
        depth (np.ndarray): ``(H, W)`` depth or disparity map, 0 = hole.
        max_shift (int): Largest offset searched along each axis.
            Defaults to 6.
        edge_quantile (float): Depth edges are the pixels whose gradient
            magnitude is above this quantile of the valid pixels'.
            Defaults to 0.95.

    Returns:
        tuple[int, int, float]: ``dy``, ``dx`` and the peak score: the
        mean colour-gradient magnitude on the depth edges at the best
        offset over its value at ``(0, 0)`` (1.0: aligned or no evidence).
    """
    if img.shape[:2] != depth.shape:
        raise ValueError(
            f'estimate_guide_shift: image {img.shape[:2]} and depth '
            f'{depth.shape} differ in size.'
        )
    height, width = depth.shape
    margin = int(max_shift) + 1
    if min(height, width) <= 2 * margin + 2:
        raise ValueError(
            f'estimate_guide_shift: a {height} x {width} frame is too small '
            f'for offsets of up to {max_shift} pixels.'
        )
    channels = img.reshape(height, width, -1)
    colour_grad = sum(
        _gradient_magnitude(channels[..., c]) for c in range(channels.shape[2])
    )
    colour_grad /= colour_grad.mean() + 1e-12
    valid = depth > 0
    # a pixel next to a hole has a spurious depth gradient
    near_hole = np.zeros_like(valid)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            near_hole |= np.roll(~valid, (dy, dx), axis=(0, 1))
    depth_grad = _gradient_magnitude(depth)
    usable = valid & ~near_hole
    usable[:margin] = usable[-margin:] = False
    usable[:, :margin] = usable[:, -margin:] = False
    if not usable.any():
        return 0, 0, 1.0
    threshold = np.quantile(depth_grad[usable], edge_quantile)
    rows, cols = np.nonzero(usable & (depth_grad > threshold))
    if rows.size == 0:
        return 0, 0, 1.0
    offsets = range(-int(max_shift), int(max_shift) + 1)
    scores = np.array(
        [
            [colour_grad[rows + dy, cols + dx].mean() for dx in offsets]
            for dy in offsets
        ]
    )
    best_y, best_x = np.unravel_index(np.argmax(scores), scores.shape)
    centre = scores[max_shift, max_shift]
    peak = float(scores[best_y, best_x] / centre) if centre > 0 else 1.0
    return int(best_y) - int(max_shift), int(best_x) - int(max_shift), peak


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Offsets of the colour edges from the depth edges of '
        'the real DSR test sets'
    )
    parser.add_argument(
        '--sets',
        nargs='+',
        choices=SETS,
        default=list(SETS),
        help='test sets (default: all three)',
    )
    parser.add_argument(
        '--data-root',
        help=f'folder holding Middlebury/, Lu/ and RGBDD/ (default: ${ENV}, '
        'else data/dsr_benchmarks)',
    )
    parser.add_argument(
        '--max-shift',
        type=int,
        default=6,
        help='largest offset searched per axis, pixels (default: 6)',
    )
    parser.add_argument(
        '--edge-quantile',
        type=float,
        default=0.95,
        help='depth edges: gradient above this quantile (default: 0.95)',
    )
    parser.add_argument(
        '--every',
        type=int,
        default=1,
        help='use every n-th pair of a set (default: 1, all)',
    )
    parser.add_argument(
        '--partial-sets',
        action='store_true',
        help='accept sets with fewer pairs than shipped',
    )
    parser.add_argument('--out', help='write the offsets to this JSON file')
    args = parser.parse_args(argv)
    if args.max_shift < 1 or args.every < 1:
        parser.error('--max-shift and --every must be positive integers')
    if not 0.0 < args.edge_quantile < 1.0:
        parser.error('--edge-quantile must lie in (0, 1)')
    return args


def load_pairs(subset: str, data_root: str, complete: bool):
    """The set's dataset, reading RGB and depth as its protocol config."""
    from mmdepthsr.registry import DATASETS

    cfg = Config.fromfile(osp.join(BASE_DIR, f'dsrbench_{subset}_x4.py'))
    loading = [
        step
        for step in cfg.bench_test_dataloader.dataset.pipeline
        if step['type'] in ('LoadRGBImage', 'LoadDepth')
    ]
    return DATASETS.build(
        dict(
            cfg.bench_test_dataloader.dataset,
            data_root=data_root,
            check_num_pairs=complete,
            pipeline=loading,
        )
    )


def measure_set(subset: str, data_root: str, args) -> dict:
    dataset = load_pairs(subset, data_root, not args.partial_sets)
    frames = []
    for index in range(0, len(dataset), args.every):
        sample = dataset[index]
        dy, dx, peak = estimate_guide_shift(
            sample['img'],
            np.asarray(sample['gt_depth']),
            args.max_shift,
            args.edge_quantile,
        )
        frames.append(
            dict(
                img_path=osp.basename(sample['img_path']),
                dy=dy,
                dx=dx,
                peak=peak,
            )
        )
    lengths = [float(np.hypot(f['dy'], f['dx'])) for f in frames]
    return dict(
        set=subset,
        frames=len(frames),
        aligned=sum(f['dy'] == 0 and f['dx'] == 0 for f in frames),
        within_1px=sum(max(abs(f['dy']), abs(f['dx'])) <= 1 for f in frames),
        median_length=statistics.median(lengths),
        max_length=max(lengths),
        per_frame=frames,
    )


def format_table(rows) -> str:
    header = ['set', 'frames', 'at (0, 0)', 'within 1 px', 'median', 'max']
    body = [
        [
            r['set'],
            str(r['frames']),
            str(r['aligned']),
            str(r['within_1px']),
            f'{r["median_length"]:.2f}',
            f'{r["max_length"]:.2f}',
        ]
        for r in rows
    ]
    return AsciiTable([header] + body, title='Guide offsets (px)').table


def main(argv=None):
    args = parse_args(argv)
    from mmdepthsr.utils import register_all_modules

    register_all_modules(init_default_scope=True)
    data_root = args.data_root or os.environ.get(ENV) or 'data/dsr_benchmarks'
    rows = [measure_set(subset, data_root, args) for subset in args.sets]
    print(format_table(rows))
    if args.out:
        settings = dict(
            max_shift=args.max_shift,
            edge_quantile=args.edge_quantile,
            every=args.every,
        )
        dump(
            dict(settings=settings, results=rows),
            args.out,
            file_format='json',
            indent=2,
        )
        print(f'Results written to {args.out}')


if __name__ == '__main__':
    sys.exit(main())
