"""Throughput of a config's training data: rendering, transforms, loader.

Usage::

    python benchmarks/data_pipeline.py [CONFIG] [--num 64] [--workers 0 2]
        [--threads T] [--model-iters 0]

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

For a config that trains on grid patches (``GridPatchDataset``), the first
three cases time the wrapped dataset (one image per sample), the transforms
are the wrapped pipeline's, and each DataLoader case runs twice: with the
config's sampler and dataset cache (e.g. ``GridPatchSampler``, one load per
image and pass) and with ``InfiniteSampler(shuffle=True)`` and a one-image
cache (every patch loads its image). The DataLoader is then built by
``DenseRunner.build_dataloader``, which gives the sampler the loader's
batch size and number of workers.

``--model-iters K`` (K > 0) also measures the model's consumption: the
config's model and optimizer train ``K`` timed steps (after 2 untimed
ones) on batches collated in advance (no data cost; the bare loop of
``train_overhead.py``), and every DataLoader case is reported as a multiple
of the model's samples/s (goal for patch training: >= 3).

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
from mmengine.runner import set_random_seed
from mmengine.utils.dl_utils import set_multi_processing
from train_overhead import make_batches, run_bare

from mmdepthsr.datasets import GridPatchDataset
from mmdepthsr.engine import DenseRunner
from mmdepthsr.registry import DATASETS, MODELS
from mmdepthsr.utils import register_all_modules

#: The sampler and cache that every patch loads its image with.
SHUFFLE_ALL = dict(
    sampler=dict(type='InfiniteSampler', shuffle=True), cache_size=1
)


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
    parser.add_argument(
        '--model-iters',
        type=int,
        default=0,
        help='timed training steps of the model on pre-collated batches '
        '(0: do not measure the model)',
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


def time_loader(cfg, num, workers, variant=None):
    """Steady-state samples/s and start-up seconds of the train loader.

    ``variant`` (e.g. :data:`SHUFFLE_ALL`) replaces the loader's sampler and
    the dataset's ``cache_size``.
    """
    loader_cfg = copy.deepcopy(cfg.train_dataloader)
    loader_cfg.num_workers = workers
    loader_cfg.persistent_workers = workers > 0
    if variant is not None:
        loader_cfg.sampler = copy.deepcopy(variant['sampler'])
        loader_cfg.dataset.cache_size = variant['cache_size']
    batch_size = loader_cfg.batch_size
    num_batches = math.ceil(num / batch_size)
    start = time.perf_counter()
    loader = DenseRunner.build_dataloader(loader_cfg, seed=0)
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


def time_model(cfg, iters, warmup=2):
    """Samples/s of the config's training steps on pre-collated batches."""
    batch_size = cfg.train_dataloader.batch_size
    batches, _ = make_batches(cfg, min(iters + warmup, 8), batch_size)
    set_random_seed(0)
    init_state = MODELS.build(copy.deepcopy(cfg.model)).state_dict()
    seconds, _ = run_bare(cfg, init_state, batches, warmup, iters)
    return batch_size / float(np.median(seconds))


def describe_sampler(loader_cfg) -> str:
    """'Type(key=value, ...), cache_size=N' of a train loader config."""
    sampler = dict(loader_cfg.sampler)
    name = sampler.pop('type')
    args = ', '.join(f'{k}={v}' for k, v in sampler.items())
    cache = loader_cfg.dataset.get('cache_size', 1)
    return f'{name}({args}), cache_size={cache}'


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
    patches = isinstance(dataset, GridPatchDataset)
    if patches:
        # Rendering and transforms of one image (the wrapped dataset).
        dataset = dataset.dataset
    num = args.num
    dataset.get_data_info(0)  # warm-up (imports, caches)
    rows = []
    render_s = time_render(dataset, num)
    rows.append(('render (get_data_info)', num / render_s))
    pipe_s, per_transform = time_transforms(dataset, num)
    rows.append(('transforms only (pre-rendered)', num / pipe_s))
    getitem_s = time_getitem(dataset, num)
    rows.append(('render + transforms (dataset[i])', num / getitem_s))
    variants = [('config', None)]
    if patches:
        variants.append(('shuffle all', SHUFFLE_ALL))
    loader_rows = []
    for workers in args.workers:
        for name, variant in variants:
            fps, startup, batch_size = time_loader(cfg, num, workers, variant)
            loader_rows.append((workers, name, fps, startup, batch_size))
    model_fps = None
    if args.model_iters > 0:
        model_fps = time_model(cfg, args.model_iters)

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
    loader_cfg = cfg.train_dataloader
    network_input = shape_of(
        DATASETS.build(copy.deepcopy(loader_cfg.dataset))[0]
    )
    print(
        f'\n## Training data of {osp.basename(args.config)}\n\n'
        f'{type(dataset).__name__}, rendered {shape_of(sample)}, network '
        f'input {network_input}; {num} samples per case'
    )
    if patches:
        print(
            '\nGrid patches: the first three cases are per image; "config" '
            f'is {describe_sampler(loader_cfg)}, "shuffle all" is '
            'InfiniteSampler(shuffle=True), cache_size=1.'
        )
    ratio_head = ' x model |' if model_fps else ''
    print(f'\n| case | samples/s | ms/sample |{ratio_head}')
    print('|---|---|---|' + ('---|' if model_fps else ''))
    for name, fps in rows:
        tail = ' - |' if model_fps else ''
        print(f'| {name} | {fps:.1f} | {1000 / fps:.1f} |{tail}')
    for workers, name, fps, _, batch_size in loader_rows:
        label = f'DataLoader num_workers={workers} (batch {batch_size})'
        if patches:
            label += f', {name}'
        tail = f' {fps / model_fps:.2f} |' if model_fps else ''
        print(f'| {label} | {fps:.1f} | {1000 / fps:.1f} |{tail}')
    if model_fps:
        print(
            f'| model train step, pre-collated batches '
            f'({args.model_iters} steps, median) | {model_fps:.1f} | '
            f'{1000 / model_fps:.1f} | 1.00 |'
        )
    print('\n| DataLoader | start-up to first batch(es) s |')
    print('|---|---|')
    for workers, name, _, startup, _ in loader_rows:
        label = f'num_workers={workers}' + (f', {name}' if patches else '')
        print(f'| {label} | {startup:.2f} |')
    print('\n| transform | ms/sample | share of transforms |')
    print('|---|---|---|')
    for name, seconds in per_transform:
        print(
            f'| {name} | {1000 * seconds / num:.2f} | '
            f'{100 * seconds / pipe_s:.0f}% |'
        )


if __name__ == '__main__':
    main()
