"""Training-iteration overhead of the toolbox against a bare PyTorch loop.

Usage::

    python benchmarks/train_overhead.py [CONFIG] [--iters 20] [--warmup 3]
        [--repeats 3] [--threads T] [--batches 4] [--batch-size B]
        [--profile] [--show-log]

CONFIG defaults to the Eigen 2014 coarse SynthRooms config (the one file
matching ``configs/eigen2014/eigen2014-coarse_*synthrooms*.py``).

Both sides train the SAME model (built from ``CONFIG``, same initial
weights), with the same batch size on the same data: ``--batches``
distinct batches are produced once by the config's train dataset and
pipeline, collated and held in memory, so the data cost is excluded from
both sides (the toolbox reads them through a ``DataLoader`` whose dataset
returns the pre-collated batches: no worker, no collation).

- bare: ``model.data_preprocessor`` + ``model(mode='loss')`` + sum of the
  ``loss*`` terms + ``backward`` + ``step`` + ``zero_grad`` of a plain
  ``torch.optim`` optimizer of the config's type, lr, momentum and weight
  decay. Its parameter groups are those the config's ``paramwise_cfg``
  gives (built once, before the loop), so both sides do the same
  arithmetic; the optimizer wrapper is not used.
- toolbox: the config's runner (``runner_type``, e.g. ``DenseRunner``)
  with the config's default hooks (timer, logger, param scheduler,
  checkpoint with saving disabled, sampler seed), custom hooks
  (``RNGStateHook``), log processor, visualizer and ``optim_wrapper``
  (incl. ``paramwise_cfg``); the initial weights come in via ``load_from``.
  Validation is off.

The two sides run in ONE process, alternating (bare, toolbox), (toolbox,
bare), ... for ``--repeats`` rounds, each with ``--warmup`` untimed
iterations followed by ``--iters`` timed ones. One iteration lasts from
the end of the previous iteration to the end of this one (for the toolbox:
two consecutive ``after_train_iter`` calls of a hook with the lowest
priority, so data fetching, ``model.train()`` and every hook count). The
script prints the median and mean seconds per iteration of each side and
the ratio toolbox / bare (goal: median ratio <= 1.05) as markdown tables.

Both sides seed the global generators (``randomness.seed``) right before
their first iteration, so they draw the same dropout masks: the script
prints the largest difference between their per-iteration losses, which
is 0 when the toolbox does exactly the work of the bare loop.

Both sides run on the runner's device (``mmengine.device.get_device()``);
on CUDA every iteration timestamp waits for the queued GPU work
(``torch.cuda.synchronize()``).

``--profile`` adds one more round per side in which the parts of an
iteration are timed (data preprocessor, forward + loss, backward, step,
each hook's ``before/after_train_iter``) and prints where the time goes.
These part times are host-side (no synchronisation inside an iteration),
so on a GPU they show launch cost, not kernel time.
"""

import argparse
import copy
import gc
import logging
import os
import os.path as osp
import platform
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager, nullcontext, redirect_stdout
from functools import wraps

import mmengine
import torch
from _common import (
    DEFAULT_CONFIG_GLOB,
    cpu_model,
    default_config,
    load_average,
)
from mmengine.config import Config
from mmengine.device import get_device
from mmengine.hooks import Hook
from mmengine.optim import build_optim_wrapper
from mmengine.registry import FUNCTIONS
from mmengine.runner import set_random_seed
from torch.utils.data import DataLoader, Dataset

from mmdepthsr.engine import configure_amp
from mmdepthsr.registry import DATASETS, MODELS, RUNNERS
from mmdepthsr.utils import register_all_modules

#: The default config: the Eigen 2014 coarse config on SynthRooms.


GOAL = 1.05


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Toolbox training iteration vs a bare PyTorch loop.'
    )
    parser.add_argument(
        'config',
        nargs='?',
        default=None,
        help='training config (default: the one matching '
        f'{DEFAULT_CONFIG_GLOB})',
    )
    parser.add_argument(
        '--iters', type=int, default=20, help='timed iterations per run'
    )
    parser.add_argument(
        '--warmup',
        type=int,
        default=3,
        help='untimed iterations at the start of each run (>= 1)',
    )
    parser.add_argument(
        '--repeats',
        type=int,
        default=3,
        help='rounds; each round runs both sides, alternating the order',
    )
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='torch intra-op threads (default: torch default)',
    )
    parser.add_argument(
        '--batches',
        type=int,
        default=4,
        help='distinct pre-packed batches, cycled by both sides',
    )
    parser.add_argument(
        '--batch-size',
        type=int,
        default=None,
        help="override the config's train batch size",
    )
    parser.add_argument(
        '--profile',
        action='store_true',
        help='one extra round per side that times the parts of an iteration',
    )
    parser.add_argument(
        '--show-log',
        action='store_true',
        help="show the runner's log on stdout (by default stdout goes to "
        '/dev/null while the sides run, so the runner still formats and '
        'writes every log line, and only the report is shown)',
    )
    args = parser.parse_args(argv)
    if args.config is None:
        args.config = default_config(DEFAULT_CONFIG_GLOB)
    if args.warmup < 1:
        parser.error('--warmup must be >= 1')
    if args.iters < 1 or args.repeats < 1 or args.batches < 1:
        parser.error('--iters, --repeats and --batches must be >= 1')
    return args


# --------------------------------------------------------------------------
# Machine description and data
# --------------------------------------------------------------------------


def machine_rows() -> list:
    """(key, value) rows describing the machine and the software."""
    cores = os.cpu_count()
    if hasattr(os, 'sched_getaffinity'):
        cores = f'{len(os.sched_getaffinity(0))} usable of {cores}'
    return [
        ('CPU', cpu_model()),
        ('cores', cores),
        ('device (both sides)', get_device()),
        ('python', platform.python_version()),
        ('torch', torch.__version__),
        ('mmengine', mmengine.__version__),
        ('torch threads', torch.get_num_threads()),
        (
            'load average (1, 5, 15 min) at the end',
            load_average(),
        ),
    ]


class PackedBatches(Dataset):
    """Pre-collated batches held in memory, one item = one batch.

    Args:
        batches (list[dict]): Collated batches (``inputs``,
            ``data_samples``), cycled.
        length (int): Number of items (iterations) served.
        metainfo (dict): The source dataset's ``metainfo``.
    """

    def __init__(self, batches, length, metainfo):
        self.batches = batches
        self.length = length
        self.metainfo = metainfo

    def __len__(self):
        return self.length

    def __getitem__(self, idx):
        return self.batches[idx % len(self.batches)]


def _first(items):
    """Collate of a ``batch_size=1`` loader over pre-collated batches."""
    return items[0]


def make_batches(cfg, num_batches, batch_size, seed=0):
    """Run the config's train dataset + pipeline once, collate, keep.

    Returns:
        tuple: (list of collated batches, dataset metainfo).
    """
    set_random_seed(seed)
    loader_cfg = cfg.train_dataloader
    dataset = DATASETS.build(copy.deepcopy(loader_cfg.dataset))
    collate_cfg = copy.deepcopy(
        loader_cfg.get('collate_fn', dict(type='pseudo_collate'))
    )
    collate_type = collate_cfg.pop('type')
    collate_fn = FUNCTIONS.get(collate_type)
    if collate_fn is None:
        raise KeyError(f'collate_fn "{collate_type}" is not registered.')
    batches = []
    for b in range(num_batches):
        samples = [dataset[b * batch_size + i] for i in range(batch_size)]
        batches.append(collate_fn(samples, **collate_cfg))
    return batches, dataset.metainfo


# --------------------------------------------------------------------------
# Timing helpers
# --------------------------------------------------------------------------


class Timers:
    """Accumulates named durations; active only after the warm-up."""

    def __init__(self):
        self.active = False
        self.totals = defaultdict(float)
        self.iters = 0

    @contextmanager
    def time(self, name):
        if not self.active:
            yield
            return
        start = time.perf_counter()
        try:
            yield
        finally:
            self.totals[name] += time.perf_counter() - start

    def wrap(self, obj, attr, name):
        """Replace ``obj.attr`` (a bound method) by a timed version."""
        func = getattr(obj, attr)

        @wraps(func)
        def timed(*args, **kwargs):
            with self.time(name):
                return func(*args, **kwargs)

        setattr(obj, attr, timed)

    def per_iter_ms(self):
        n = max(self.iters, 1)
        return {k: 1000 * v / n for k, v in self.totals.items()}


class TimedIterator:
    """Iterator proxy that times ``next``."""

    def __init__(self, iterator, timers, name):
        self._iterator = iterator
        self._timers = timers
        self._name = name

    def __iter__(self):
        return self

    def __next__(self):
        with self._timers.time(self._name):
            return next(self._iterator)

    def __getattr__(self, name):
        return getattr(self._iterator, name)


def now() -> float:
    """``perf_counter()`` once queued accelerator work has finished."""
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter()


def periods(stamps, warmup):
    """Durations of the iterations past the warm-up.

    Args:
        stamps (list[float]): End time of every iteration.
        warmup (int): Untimed iterations (>= 1).
    """
    return [stamps[i] - stamps[i - 1] for i in range(warmup, len(stamps))]


def train_seed(cfg) -> int:
    """The config's ``randomness.seed`` (0 when unset)."""
    return (cfg.get('randomness') or {}).get('seed') or 0


class IterEndStamps(Hook):
    """Records ``perf_counter()`` and the loss at every ``after_train_iter``.

    Registered with priority ``LOWEST``, so it runs after every other
    hook. ``before_train`` (also last) seeds the global generators as the
    bare loop does right before its first iteration, so that both sides
    draw the same dropout masks and their losses can be compared. It also
    switches the profiling timers on after the warm-up.
    """

    def __init__(self, warmup, seed, timers=None, loss_key='loss'):
        self.warmup = warmup
        self.seed = seed
        self.timers = timers
        self.stamps = []
        self.losses = []
        self.loss_key = loss_key

    def before_train(self, runner):
        set_random_seed(self.seed)

    def after_train_iter(
        self, runner, batch_idx, data_batch=None, outputs=None
    ):
        self.stamps.append(now())
        value = (outputs or {}).get(self.loss_key, float('nan'))
        if isinstance(value, torch.Tensor):
            value = value.detach()
        self.losses.append(float(value))
        if self.timers is not None:
            if self.timers.active:
                self.timers.iters += 1
            if len(self.stamps) == self.warmup:
                self.timers.active = True


# --------------------------------------------------------------------------
# The two sides
# --------------------------------------------------------------------------


def build_model(cfg, init_state):
    """The config's model with ``init_state``, on the runner's device."""
    model = MODELS.build(copy.deepcopy(cfg.model))
    model.load_state_dict(init_state)
    return model.to(get_device())


def run_bare(cfg, init_state, batches, warmup, iters, timers=None):
    """Bare PyTorch loop. Returns (iteration periods, losses)."""
    model = build_model(cfg, init_state)
    # The plain torch.optim optimizer the config describes (the wrapper
    # built around it is discarded).
    optimizer = build_optim_wrapper(
        model, copy.deepcopy(cfg.optim_wrapper)
    ).optimizer
    model.train()
    profiling = timers is not None
    timers = timers or Timers()
    stamps = []
    losses_seen = []
    set_random_seed(train_seed(cfg))
    for i in range(warmup + iters):
        if profiling and i == warmup:
            timers.active = True
        batch = batches[i % len(batches)]
        with timers.time('data_preprocessor'):
            data = model.data_preprocessor(batch, True)
        with timers.time('forward + loss'):
            losses = model(**data, mode='loss')
            loss = sum(v.mean() for k, v in losses.items() if 'loss' in k)
        with timers.time('backward'):
            loss.backward()
        with timers.time('optimizer step'):
            optimizer.step()
        with timers.time('zero_grad'):
            optimizer.zero_grad()
        stamps.append(now())
        losses_seen.append(float(loss.detach()))
        if timers.active:
            timers.iters += 1
    del model, optimizer
    return periods(stamps, warmup), losses_seen


def toolbox_cfg(cfg, work_dir, name, init_ckpt, total_iters):
    """The config as the runner sees it in this benchmark."""
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = work_dir
    cfg.experiment_name = name
    cfg.load_from = init_ckpt
    cfg.resume = False
    cfg.train_cfg = dict(
        type=cfg.train_cfg.get('type', 'IterBasedTrainLoop'),
        max_iters=total_iters,
        val_interval=total_iters + 1,
    )
    hooks = cfg.get('default_hooks') or {}
    if hooks.get('checkpoint') is not None:
        # Saving disabled: the interval lies past the run, no last save.
        hooks['checkpoint']['interval'] = total_iters + 1
        hooks['checkpoint']['save_last'] = False
    for key in (
        'val_dataloader',
        'val_cfg',
        'val_evaluator',
        'test_dataloader',
        'test_cfg',
        'test_evaluator',
    ):
        cfg[key] = None
    return cfg


def build_runner(cfg, train_dataloader):
    """``Runner.from_cfg`` with a ready-made training DataLoader."""
    runner_cls = RUNNERS.get(cfg.get('runner_type', 'Runner'))
    return runner_cls(
        model=cfg['model'],
        work_dir=cfg['work_dir'],
        train_dataloader=train_dataloader,
        val_dataloader=None,
        test_dataloader=None,
        train_cfg=cfg.get('train_cfg'),
        val_cfg=None,
        test_cfg=None,
        auto_scale_lr=cfg.get('auto_scale_lr'),
        optim_wrapper=cfg.get('optim_wrapper'),
        param_scheduler=cfg.get('param_scheduler'),
        val_evaluator=None,
        test_evaluator=None,
        default_hooks=cfg.get('default_hooks'),
        custom_hooks=cfg.get('custom_hooks'),
        data_preprocessor=cfg.get('data_preprocessor'),
        load_from=cfg.get('load_from'),
        resume=cfg.get('resume', False),
        launcher=cfg.get('launcher', 'none'),
        env_cfg=cfg.get('env_cfg', dict(dist_cfg=dict(backend='nccl'))),
        log_processor=cfg.get('log_processor'),
        log_level=cfg.get('log_level', 'INFO'),
        visualizer=cfg.get('visualizer'),
        default_scope=cfg.get('default_scope', 'mmengine'),
        randomness=cfg.get('randomness', dict(seed=None)),
        experiment_name=cfg.get('experiment_name'),
        cfg=cfg,
    )


def _overrides(hook, method):
    return getattr(type(hook), method) is not getattr(Hook, method)


def instrument_runner(runner, timers):
    """Time the parts of the toolbox iteration (for ``--profile``)."""
    model = runner.model
    timers.wrap(model.data_preprocessor, 'forward', 'data_preprocessor')
    timers.wrap(model, '_run_forward', 'forward + loss')
    timers.wrap(model, 'parse_losses', 'parse_losses')
    timers.wrap(model, 'train', 'model.train()')
    wrapper = runner.optim_wrapper
    timers.wrap(wrapper, 'backward', 'backward')
    timers.wrap(wrapper, 'step', 'optimizer step')
    timers.wrap(wrapper, 'zero_grad', 'zero_grad')
    for hook in runner.hooks:
        if isinstance(hook, IterEndStamps):
            continue
        # Hook.before/after_train_iter call _before_iter/_after_iter,
        # which e.g. IterTimerHook overrides instead.
        for stage, inner in (
            ('before_train_iter', '_before_iter'),
            ('after_train_iter', '_after_iter'),
        ):
            if _overrides(hook, stage) or _overrides(hook, inner):
                timers.wrap(hook, stage, f'{type(hook).__name__}.{stage}')
    loop = runner.train_loop
    loop.dataloader_iterator = TimedIterator(
        loop.dataloader_iterator, timers, 'next(dataloader)'
    )


def run_toolbox(
    cfg,
    init_ckpt,
    batches,
    metainfo,
    warmup,
    iters,
    work_dir,
    name,
    timers=None,
):
    """The config's runner. Returns (iteration periods, losses)."""
    total = warmup + iters
    run_cfg = toolbox_cfg(cfg, work_dir, name, init_ckpt, total)
    loader = DataLoader(
        PackedBatches(batches, total, metainfo),
        batch_size=1,
        shuffle=False,
        num_workers=0,
        collate_fn=_first,
    )
    runner = build_runner(run_cfg, loader)
    stamps = IterEndStamps(warmup, train_seed(cfg), timers)
    runner.register_hook(stamps, priority='LOWEST')
    if timers is not None:
        # The train loop (and its data iterator) are built lazily by
        # train(); instrument them once it exists, before the first batch.
        class _Instrument(Hook):
            def before_train(self, runner):
                instrument_runner(runner, timers)

        runner.register_hook(_Instrument(), priority='LOWEST')
    runner.train()
    result = periods(stamps.stamps, warmup), stamps.losses
    if len(stamps.stamps) != total:
        raise RuntimeError(
            f'The runner trained {len(stamps.stamps)} iterations, '
            f'expected {total}.'
        )
    # Let go of the runner's model, optimizer state and log file.
    for handler in list(runner.logger.handlers):
        if isinstance(handler, logging.FileHandler):
            handler.close()
            runner.logger.removeHandler(handler)
    del runner, loader
    gc.collect()
    return result


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def fmt(seconds):
    return f'{seconds:.4f}'


def measure(args, cfg, batches, metainfo, init_state):
    """Alternating rounds (+ the profiled round).

    Returns:
        tuple: ``(results, losses, profiles)``: per side the list of
        per-round iteration periods (timed iterations), the list of
        per-round losses (every iteration) and the profile (ms).
    """
    results = {'bare': [], 'toolbox': []}
    losses = {'bare': [], 'toolbox': []}
    profiles = {}
    with tempfile.TemporaryDirectory(prefix='train_overhead_') as tmp:
        init_ckpt = osp.join(tmp, 'init.pth')
        torch.save(dict(state_dict=init_state, meta=dict()), init_ckpt)

        def run(side, tag, timers=None):
            if side == 'bare':
                return run_bare(
                    cfg, init_state, batches, args.warmup, args.iters, timers
                )
            return run_toolbox(
                cfg,
                init_ckpt,
                batches,
                metainfo,
                args.warmup,
                args.iters,
                osp.join(tmp, tag),
                f'train_overhead_{tag}_{os.getpid()}',
                timers=timers,
            )

        for r in range(args.repeats):
            order = ('bare', 'toolbox') if r % 2 == 0 else ('toolbox', 'bare')
            for side in order:
                t0 = time.perf_counter()
                times, loss = run(side, f'{side}{r}')
                results[side].append(times)
                losses[side].append(loss)
                print(
                    f'[round {r + 1}/{args.repeats}] {side}: median '
                    f'{fmt(statistics.median(times))} s/iter '
                    f'({time.perf_counter() - t0:.1f} s incl. setup)',
                    file=sys.stderr,
                    flush=True,
                )
                gc.collect()

        if args.profile:
            for side in ('bare', 'toolbox'):
                timers = Timers()
                times, _ = run(side, f'{side}_profile', timers)
                profiles[side] = (
                    timers.per_iter_ms(),
                    1000 * statistics.fmean(times),
                )
                gc.collect()
    return results, losses, profiles


def main(argv=None):
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(args.config)
    configure_amp(cfg, enable=False)  # as tools/train.py does
    if args.batch_size is not None:
        cfg.train_dataloader.batch_size = args.batch_size
    batch_size = cfg.train_dataloader.batch_size

    with open(os.devnull, 'w') as devnull:
        quiet = nullcontext() if args.show_log else redirect_stdout(devnull)
        with quiet:
            batches, metainfo = make_batches(cfg, args.batches, batch_size)
            set_random_seed(0)
            init_model = MODELS.build(copy.deepcopy(cfg.model))
            init_state = copy.deepcopy(init_model.state_dict())
            del init_model
            results, losses, profiles = measure(
                args, cfg, batches, metainfo, init_state
            )
    print_report(args, batch_size, results, losses, profiles)


def print_report(args, batch_size, results, losses, profiles):
    flat = {k: [t for run in v for t in run] for k, v in results.items()}
    med = {k: statistics.median(v) for k, v in flat.items()}
    mean = {k: statistics.fmean(v) for k, v in flat.items()}
    ratio_med = med['toolbox'] / med['bare']
    ratio_mean = mean['toolbox'] / mean['bare']
    per_round = [
        statistics.median(t) / statistics.median(b)
        for b, t in zip(results['bare'], results['toolbox'])
    ]

    print('\n## Machine\n')
    print('| key | value |')
    print('|---|---|')
    for key, value in machine_rows():
        print(f'| {key} | {value} |')
    print(
        f'\n## Training iteration, {osp.basename(args.config)}\n\n'
        f'batch size {batch_size}, {args.batches} pre-packed batches, '
        f'{args.repeats} rounds x ({args.warmup} warm-up + {args.iters} '
        'timed iterations) per side, alternating\n'
    )
    print(
        '| side | median s/iter | mean s/iter | min s/iter | max s/iter '
        '| first loss | last loss |'
    )
    print('|---|---|---|---|---|---|---|')
    for side in ('bare', 'toolbox'):
        v = flat[side]
        print(
            f'| {side} | {fmt(med[side])} | {fmt(mean[side])} | '
            f'{fmt(min(v))} | {fmt(max(v))} | {losses[side][-1][0]:.6f} | '
            f'{losses[side][-1][-1]:.6f} |'
        )
    # Same initial weights, data, optimizer groups and seed: both sides
    # should compute the same losses.
    loss_diff = max(
        abs(t - b)
        for bare_run, tool_run in zip(losses['bare'], losses['toolbox'])
        for b, t in zip(bare_run, tool_run)
    )
    verdict = 'met' if ratio_med <= GOAL else 'NOT met'
    print(
        f'\n| ratio toolbox / bare | median | mean | per round (median) |\n'
        f'|---|---|---|---|\n'
        f'| value | {ratio_med:.3f} | {ratio_mean:.3f} | '
        f'{", ".join(f"{r:.3f}" for r in per_round)} |\n\n'
        f'Goal: median ratio <= {GOAL}: {verdict}.\n\n'
        'Same work on both sides: largest |loss toolbox - loss bare| over '
        f'every iteration of every round: {loss_diff:.3g}.'
    )
    if profiles:
        print_profile(profiles)


def print_profile(profiles):
    """Table of the profiled round: ms per iteration of each part."""
    names = []
    for side in ('bare', 'toolbox'):
        for name in profiles[side][0]:
            if name not in names:
                names.append(name)
    print('\n## Where the time goes (ms per iteration, profiled round)\n')
    print('| part | bare | toolbox |')
    print('|---|---|---|')
    for name in names:
        cells = [
            f'{profiles[s][0][name]:.2f}' if name in profiles[s][0] else '-'
            for s in ('bare', 'toolbox')
        ]
        print(f'| {name} | {cells[0]} | {cells[1]} |')
    parts = {s: sum(profiles[s][0].values()) for s in profiles}
    period = {s: profiles[s][1] for s in profiles}
    print(
        f'| other (loop, hook dispatch, ...) | '
        f'{period["bare"] - parts["bare"]:.2f} | '
        f'{period["toolbox"] - parts["toolbox"]:.2f} |'
    )
    print(
        f'| **iteration (mean period)** | {period["bare"]:.2f} | '
        f'{period["toolbox"]:.2f} |'
    )


if __name__ == '__main__':
    main()
