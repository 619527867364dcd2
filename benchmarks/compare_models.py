"""Train and test several configs at the same budget, side by side.

For every config, in one process and in the order given: build the
config's runner (work dir ``WORK_DIR/<config name>``), train it as the
config says (or ``--iters`` iterations), test the last weights on the
config's test set, count the parameters and time inference per test image
(``model.test_step`` on the test batches, after ``--warmup`` batches).
Models without trainable parameters (e.g. ``BicubicBaseline``) are only
tested; with ``--reuse`` a config whose final checkpoint already exists in
its work dir is tested without training again. Validation is switched
off. The table (markdown) goes to stdout and, with ``--out``, all
numbers to a JSON file.

Equal budget means equal iterations x batch: the configs compared should
say so themselves (the SynthRooms configs of one comparison share their
budget), or pass ``--iters`` and ``--batch-size``. ``--iters`` also sets
the validation interval to the end of training; it does not move the
stage switch of staged configs, so do not use it with them.

Examples::

    # Eigen 2014 coarse + fine vs Eigen & Fergus 2015 three scales
    python benchmarks/compare_models.py \\
        configs/eigen2014/eigen2014-staged_*_synthrooms-228x304.py \\
        configs/eigen2015/eigen2015_alexnet_*_synthrooms-depth-228x304.py \\
        --metrics a1 abs_rel rmse sc_inv --work-dir work_dirs/compare_eigen
"""

import argparse
import json
import os.path as osp
import sys
import time
from typing import Dict, List, Optional

import torch

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import cpu_model, load_average  # noqa: E402

from mmdepthsr.registry import RUNNERS  # noqa: E402
from mmdepthsr.utils import load_config, register_all_modules  # noqa: E402


def add_run_arguments(parser: argparse.ArgumentParser, work_dir: str):
    """The options of how every config is trained, tested and timed (shared
    with ``compare_multi_task.py``)."""
    parser.add_argument(
        '--work-dir',
        default=work_dir,
        help='parent of the per-config work dirs',
    )
    parser.add_argument(
        '--iters', type=int, help='override train_cfg.max_iters'
    )
    parser.add_argument(
        '--batch-size', type=int, help='override the training batch size'
    )
    parser.add_argument(
        '--test-num',
        type=int,
        help='test on the first N test samples only (default: all)',
    )
    parser.add_argument(
        '--warmup',
        type=int,
        default=2,
        help='test batches run before timing inference',
    )
    parser.add_argument(
        '--timed', type=int, default=10, help='test batches timed'
    )
    parser.add_argument(
        '--reuse',
        action='store_true',
        help='test the final checkpoint of an earlier run in the same work '
        'dir (iter_<max_iters>.pth) instead of training again',
    )
    parser.add_argument('--out', help='write all numbers to this JSON file')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('configs', nargs='+', help='config files')
    parser.add_argument(
        '--metrics',
        nargs='+',
        help='metric keys to tabulate (default: every key returned)',
    )
    add_run_arguments(parser, 'work_dirs/compare_models')
    return parser.parse_args(argv)


def _config_name(path: str) -> str:
    return osp.splitext(osp.basename(path))[0]


def _cfg_options(args) -> Dict:
    options = {}
    if args.iters is not None:
        options['train_cfg.max_iters'] = args.iters
        options['train_cfg.val_interval'] = args.iters
    if args.batch_size is not None:
        options['train_dataloader.batch_size'] = args.batch_size
    if args.test_num is not None:
        options['test_dataloader.dataset.indices'] = args.test_num
    return options


@torch.no_grad()
def time_inference(model, dataloader, warmup: int, timed: int) -> float:
    """Mean seconds per test image of ``model.test_step``."""
    model.eval()
    seconds, images = 0.0, 0
    for i, batch in enumerate(dataloader):
        if i >= warmup + timed:
            break
        start = time.perf_counter()
        model.test_step(batch)
        if i >= warmup:
            seconds += time.perf_counter() - start
            images += len(batch['inputs'])
    return seconds / max(images, 1)


def run_one(path: str, args) -> Dict:
    """Train (when trainable), test and time one config."""
    name = _config_name(path)
    cfg = load_config(path, _cfg_options(args), osp.join(args.work_dir, name))
    # no validation: the test below evaluates the final weights
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.train_cfg.pop('val_interval', None)
    final = osp.join(cfg.work_dir, f'iter_{cfg.train_cfg.max_iters}.pth')
    reused = args.reuse and osp.isfile(final)
    if reused:
        cfg.load_from = final
    runner = RUNNERS.build(cfg)
    model = runner.model
    params = sum(p.numel() for p in model.parameters())
    trainable = any(p.requires_grad for p in model.parameters())
    train_s = None
    if trainable and not reused:
        start = time.perf_counter()
        runner.train()
        train_s = time.perf_counter() - start
    metrics = runner.test()
    per_image = time_inference(
        runner.model, runner.test_dataloader, args.warmup, args.timed
    )
    return dict(
        config=path,
        name=name,
        params=params,
        iters=cfg.train_cfg.get('max_iters') if trainable else 0,
        batch_size=cfg.train_dataloader.get('batch_size'),
        train_seconds=train_s,
        reused_checkpoint=final if reused else None,
        infer_seconds_per_image=per_image,
        metrics={k: float(v) for k, v in metrics.items()},
    )


def markdown(results: List[Dict], keys: Optional[List[str]]) -> str:
    """The comparison table."""
    if keys is None:
        keys = []
        for res in results:
            keys += [k for k in res['metrics'] if k not in keys]
    head = ['config', 'params (M)', 'iters x batch', 'train (min)']
    head += keys + ['inference (ms/image)']
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for res in results:
        train = res['train_seconds']
        row = [
            f'`{res["name"]}`',
            f'{res["params"] / 1e6:.2f}',
            f'{res["iters"]} x {res["batch_size"]}' if res['iters'] else '-',
            f'{train / 60:.1f}' if train is not None else '-',
        ]
        for key in keys:
            value = res['metrics'].get(key)
            row.append('-' if value is None else f'{value:.4g}')
        row.append(f'{res["infer_seconds_per_image"] * 1e3:.1f}')
        lines.append('| ' + ' | '.join(row) + ' |')
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)
    results = []
    for path in args.configs:
        print(f'== {path}', file=sys.stderr)
        results.append(run_one(path, args))
    table = markdown(results, args.metrics)
    print(
        f'CPU: {cpu_model()}; torch {torch.__version__}, '
        f'{torch.get_num_threads()} threads; load average '
        f'{load_average()}\n'
    )
    print(table)
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=2)
    return results


if __name__ == '__main__':
    main()
