"""Throughput of a config's training data: rendering, transforms, loader.

Usage::

    python benchmarks/data_pipeline.py [CONFIG] [--num 64] [--workers 0 2]
        [--threads T]

Measures, for the config's ``train_dataloader`` (by default the Eigen 2014
SynthRooms coarse config: SynthRooms rendering + its train pipeline), in
one process and in this order:

- ``render``: ``dataset.get_data_info(i)`` (for SynthRooms the scene
  sampling and ray casting, no transform) over ``--num`` samples;
- ``transforms``: the train pipeline alone, applied to ``--num`` copies of
  pre-rendered samples (the copying is not timed), with the time of each
  transform (ms per sample);
- ``render + transforms``: ``dataset[i]`` in this process;
- ``DataLoader, num_workers=W`` for each ``--workers`` value: the config's
  loader (its sampler, batch size and collate function) built by
  ``Runner.build_dataloader`` with ``num_workers=W``; samples/s over
  ``--num`` samples (rounded up to whole batches) once the first batch of
  every worker has arrived, and the start-up time to the first batch.

The environment is set up as the runner sets it (``env_cfg.mp_cfg``:
multiprocessing start method, OpenCV threads). Prints markdown tables.
"""

import argparse
import copy
import math
import os
import os.path as osp
import platform
import time

import mmengine
import numpy as np
import torch
from _common import (
    DEFAULT_CONFIG_GLOB,
    cpu_model,
    default_config,
    load_average,
)
from mmengine.config import Config
from mmengine.runner import Runner, set_random_seed
from mmengine.utils.dl_utils import set_multi_processing

from mmdepthsr.registry import DATASETS
from mmdepthsr.utils import register_all_modules

#: The default config: the Eigen 2014 coarse config on SynthRooms.


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Samples/s of a config's training data."
    )
    parser.add_argument(
        'config',
        nargs='?',
        default=None,
        help=f'config (default: the one matching {DEFAULT_CONFIG_GLOB})',
    )
    parser.add_argument(
        '--num', type=int, default=64, help='samples timed per case'
    )
    parser.add_argument(
        '--workers',
        type=int,
        nargs='+',
        default=[0, 2],
        help='DataLoader num_workers values to measure',
    )
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='torch intra-op threads of the main process',
    )
    args = parser.parse_args(argv)
    if args.config is None:
        args.config = default_config(DEFAULT_CONFIG_GLOB)
    if args.num < 1:
        parser.error('--num must be >= 1')
    return args


def shape_of(sample) -> str:
    """'HxW' of a packed sample's inputs or of an unpacked ``img``."""
    if isinstance(sample, dict) and 'inputs' in sample:
        h, w = sample['inputs'].shape[-2:]
    else:
        h, w = sample['img'].shape[:2]
    return f'{h}x{w}'


def time_render(dataset, num):
    start = time.perf_counter()
    for i in range(num):
        dataset.get_data_info(i)
    return time.perf_counter() - start


def time_transforms(dataset, num, num_rendered=4):
    """Total seconds of the pipeline and of each transform over ``num``."""
    rendered = [
        dataset.get_data_info(i) for i in range(min(num_rendered, num))
    ]
    transforms = list(dataset.pipeline.transforms)
    per_transform = [0.0] * len(transforms)
    total = 0.0
    for i in range(num):
        results = copy.deepcopy(rendered[i % len(rendered)])
        for k, transform in enumerate(transforms):
            start = time.perf_counter()
            results = transform(results)
            elapsed = time.perf_counter() - start
            per_transform[k] += elapsed
            total += elapsed
            if results is None:
                raise RuntimeError(
                    f'{type(transform).__name__} dropped a sample; this '
                    'benchmark expects a pipeline that keeps every sample.'
                )
    names = [type(t).__name__ for t in transforms]
    return total, list(zip(names, per_transform))


def time_getitem(dataset, num):
    start = time.perf_counter()
    for i in range(num):
        dataset[i]
    return time.perf_counter() - start


def time_loader(cfg, num, workers):
    """Steady-state samples/s and start-up seconds of the train loader."""
    loader_cfg = copy.deepcopy(cfg.train_dataloader)
    loader_cfg.num_workers = workers
    loader_cfg.persistent_workers = workers > 0
    batch_size = loader_cfg.batch_size
    num_batches = math.ceil(num / batch_size)
    start = time.perf_counter()
    loader = Runner.build_dataloader(loader_cfg, seed=0)
    iterator = iter(loader)
    # One batch per worker first (their start-up and first samples).
    for _ in range(max(workers, 1)):
        next(iterator)
    startup = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(num_batches):
        next(iterator)
    elapsed = time.perf_counter() - start
    del iterator, loader
    return num_batches * batch_size / elapsed, startup, batch_size


def main(argv=None):
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(args.config)
    mp_cfg = cfg.get('env_cfg', {}).get('mp_cfg', {})
    set_multi_processing(**mp_cfg, distributed=False)
    set_random_seed(0)

    dataset = DATASETS.build(copy.deepcopy(cfg.train_dataloader.dataset))
    num = args.num
    dataset.get_data_info(0)  # warm-up (imports, caches)
    rows = []
    render_s = time_render(dataset, num)
    rows.append(('render (get_data_info)', num / render_s))
    pipe_s, per_transform = time_transforms(dataset, num)
    rows.append(('transforms only (pre-rendered)', num / pipe_s))
    getitem_s = time_getitem(dataset, num)
    rows.append(('render + transforms (dataset[i])', num / getitem_s))
    loader_rows = []
    for workers in args.workers:
        fps, startup, batch_size = time_loader(cfg, num, workers)
        loader_rows.append((workers, fps, startup, batch_size))

    load = load_average()
    print('## Machine\n')
    print('| key | value |')
    print('|---|---|')
    cores = os.cpu_count()
    if hasattr(os, 'sched_getaffinity'):
        cores = f'{len(os.sched_getaffinity(0))} usable of {cores}'
    for key, value in (
        ('CPU', cpu_model()),
        ('cores', cores),
        ('python', platform.python_version()),
        ('numpy', np.__version__),
        ('torch', torch.__version__),
        ('mmengine', mmengine.__version__),
        ('torch threads (main process)', torch.get_num_threads()),
        ('mp_cfg', dict(mp_cfg)),
        (
            'OMP / OPENBLAS_NUM_THREADS env',
            f'{os.environ.get("OMP_NUM_THREADS", "unset")} / '
            f'{os.environ.get("OPENBLAS_NUM_THREADS", "unset")}',
        ),
        ('load average (1, 5, 15 min) at the end', load),
    ):
        print(f'| {key} | {value} |')

    sample = dataset.get_data_info(0)
    packed = dataset[0]
    print(
        f'\n## Training data of {osp.basename(args.config)}\n\n'
        f'{type(dataset).__name__}, rendered {shape_of(sample)}, network '
        f'input {shape_of(packed)}; {num} samples per case\n'
    )
    print('| case | samples/s | ms/sample |')
    print('|---|---|---|')
    for name, fps in rows:
        print(f'| {name} | {fps:.1f} | {1000 / fps:.1f} |')
    for workers, fps, _, batch_size in loader_rows:
        print(
            f'| DataLoader num_workers={workers} (batch {batch_size}) | '
            f'{fps:.1f} | {1000 / fps:.1f} |'
        )
    print('\n| DataLoader num_workers | start-up to first batch(es) s |')
    print('|---|---|')
    for workers, _, startup, _ in loader_rows:
        print(f'| {workers} | {startup:.2f} |')
    print('\n| transform | ms/sample | share of transforms |')
    print('|---|---|---|')
    for name, seconds in per_transform:
        print(
            f'| {name} | {1000 * seconds / num:.2f} | '
            f'{100 * seconds / pipe_s:.0f}% |'
        )


if __name__ == '__main__':
    main()
