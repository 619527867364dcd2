"""SynthRooms rendering speed on one CPU core.

Usage::

    python benchmarks/synthrooms_fps.py [--num 30] [--split train]

Pins the process to one core (where the OS allows) and limits every thread
pool (OpenMP, BLAS, OpenCV, torch) to one thread, then times
``SynthRoomsDataset.get_data_info`` (scene sampling + ray casting +
shading, + holes for the raw variant) over ``--num`` consecutive samples
after one warm-up sample, each rendered ``--repeat`` times, and prints a
markdown table. "frames/s (wall)" is wall-clock throughput; "frames/s (CPU
time)" divides by the process CPU time (``time.process_time``, one thread),
which equals the wall-clock figure on an idle core and is not inflated by
other processes on a busy machine. Per-frame times are each sample's
fastest run. Goal: >= 10 frames/s at 480 x 640.
"""

import os

for _var in (
    'OMP_NUM_THREADS',
    'OPENBLAS_NUM_THREADS',
    'MKL_NUM_THREADS',
    'NUMEXPR_NUM_THREADS',
    'VECLIB_MAXIMUM_THREADS',
):
    os.environ[_var] = '1'

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402

cv2.setNumThreads(1)

from mmdepthsr.datasets import SynthRoomsDataset  # noqa: E402

CASES = (
    ((480, 640), False),
    ((480, 640), True),
    ((240, 320), False),
)


def time_case(img_shape, raw_holes, num, split, repeat):
    """Wall-clock and CPU time of ``num`` samples, each rendered ``repeat``
    times; returns frames/s (wall), frames/s (CPU) and per-frame CPU ms
    (median, max of the per-sample best)."""
    dataset = SynthRoomsDataset(
        split=split,
        num_samples=num + 1,
        img_shape=img_shape,
        raw_holes=raw_holes,
    )
    dataset.get_data_info(0)  # warm-up
    wall = np.zeros((num, repeat))
    cpu = np.zeros((num, repeat))
    for r in range(repeat):
        for i in range(num):
            start_wall, start_cpu = time.perf_counter(), time.process_time()
            dataset.get_data_info(i + 1)
            wall[i, r] = time.perf_counter() - start_wall
            cpu[i, r] = time.process_time() - start_cpu
    best = cpu.min(axis=1)
    return (
        wall.size / wall.sum(),
        cpu.size / cpu.sum(),
        1000 * np.median(best),
        1000 * best.max(),
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--num', type=int, default=30)
    parser.add_argument('--split', default='train')
    parser.add_argument('--repeat', type=int, default=3)
    args = parser.parse_args()
    if hasattr(os, 'sched_setaffinity'):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    print(
        f'SynthRooms, {args.num} {args.split} samples x {args.repeat} runs '
        'per row, one core '
        f'({platform.processor() or platform.machine()}, numpy '
        f'{np.__version__})\n'
    )
    print(
        '| img_shape | raw_holes | frames/s (wall) | frames/s (CPU time) | '
        'median CPU ms | max CPU ms |'
    )
    print('|---|---|---|---|---|---|')
    for img_shape, raw_holes in CASES:
        fps, cpu_fps, median, worst = time_case(
            img_shape, raw_holes, args.num, args.split, args.repeat
        )
        print(
            f'| {img_shape[0]}x{img_shape[1]} | {raw_holes} | {fps:.1f} | '
            f'{cpu_fps:.1f} | {median:.1f} | {worst:.1f} |'
        )


if __name__ == '__main__':
    main()
