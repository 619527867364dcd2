"""Multi-task comparison at one budget: single-task baselines, multi-task
models, and delta_m of each multi-task model against the baselines.

Every config is trained and tested as ``compare_models.py`` does it (same
work-dir layout, ``--reuse`` to test an earlier run's final checkpoint
again). The single-task runs (``--baseline``, one per task) give the
reference values of the ``--keys`` metrics; every other run gets

    delta_m = (1/K) sum_k s_k (M_k - B_k) / |B_k|   (in %)

with ``s_k = +1`` when a higher value of metric ``k`` is better, ``-1``
otherwise (the direction each metric class declares in
``higher_is_better``; Maninis et al., CVPR 2019). Positive delta_m: the
multi-task model is better than the single-task models on average.

The table (markdown) goes to stdout: parameters, training seconds per
iteration, the metrics and delta_m; ``--out`` writes all numbers to JSON.

Example (the SynthRooms SOSD-Net comparison of ``configs/sosdnet``)::

    python benchmarks/compare_multi_task.py \\
        configs/sosdnet/sosdnet_lightenc_*.py \\
        configs/sosdnet/sosdnet-em_lightenc_*.py \\
        --baseline configs/sosdnet/sosdnet-depth_lightenc_*.py \\
        --baseline configs/sosdnet/sosdnet-seg_lightenc_*.py \\
        --keys depth/abs_rel depth/a1 mIoU \\
        --work-dir work_dirs/compare_sosdnet --out sosdnet.json

(``--keys`` takes every word up to the next option: give the configs
before it.)
"""

import argparse
import json
import os.path as osp
import sys
from typing import Dict, List

import torch

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import cpu_model, load_average  # noqa: E402
from compare_models import add_run_arguments, run_one  # noqa: E402

from mmdepthsr.evaluation.metrics import delta_m  # noqa: E402
from mmdepthsr.registry import METRICS  # noqa: E402
from mmdepthsr.utils import register_all_modules  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('configs', nargs='+', help='multi-task configs')
    parser.add_argument(
        '--baseline',
        action='append',
        required=True,
        help='a single-task config (repeat the option for every task)',
    )
    parser.add_argument(
        '--keys',
        nargs='+',
        required=True,
        help='metric keys of delta_m, as the results report them (e.g. '
        'depth/abs_rel mIoU); each must come from exactly one baseline',
    )
    add_run_arguments(parser, 'work_dirs/compare_multi_task')
    return parser.parse_args(argv)


def direction(key: str) -> bool:
    """Whether a higher value of the result key ``key`` (maybe prefixed,
    ``depth/abs_rel``) is better, as the registered metric classes declare
    it in ``higher_is_better``.

    Raises:
        KeyError: If no metric class declares the key, or two disagree.
    """
    name = key.rsplit('/', 1)[-1]
    found = {
        cls.__name__: cls.higher_is_better[name]
        for cls in METRICS.module_dict.values()
        if name in getattr(cls, 'higher_is_better', {})
    }
    if len(set(found.values())) != 1:
        raise KeyError(
            f'the direction of {name!r} is not declared by exactly one '
            f'rule: {found or "no metric class"}'
        )
    return next(iter(found.values()))


def baseline_values(results: List[Dict], keys: List[str]) -> Dict:
    """The value of every key in ``keys`` from the single-task runs.

    Raises:
        KeyError: If a key is reported by no baseline, or by several.
    """
    values = {}
    for key in keys:
        found = [r for r in results if key in r['metrics']]
        if len(found) != 1:
            raise KeyError(
                f'{key!r} is reported by {len(found)} baselines '
                f'({[r["name"] for r in found]}); each key must come from '
                'exactly one single-task run'
            )
        values[key] = found[0]['metrics'][key]
    return values


def markdown(results: List[Dict], keys: List[str]) -> str:
    """The comparison table: baselines first, then the multi-task runs."""
    head = ['config', 'params (M)', 's / iter'] + keys + ['delta_m (%)']
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for res in results:
        train, iters = res['train_seconds'], res['iters']
        row = [
            f'`{res["name"]}`',
            f'{res["params"] / 1e6:.3f}',
            f'{train / iters:.2f}' if train and iters else '-',
        ]
        for key in keys:
            value = res['metrics'].get(key)
            row.append('-' if value is None else f'{value:.4g}')
        value = res.get('delta_m')
        row.append('baseline' if value is None else f'{value:+.2f}')
        lines.append('| ' + ' | '.join(row) + ' |')
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)
    directions = {key: direction(key) for key in args.keys}
    baselines = []
    for path in args.baseline:
        print(f'== baseline {path}', file=sys.stderr)
        baselines.append(run_one(path, args))
    reference = baseline_values(baselines, args.keys)
    runs = []
    for path in args.configs:
        print(f'== {path}', file=sys.stderr)
        res = run_one(path, args)
        res['delta_m'] = delta_m(res['metrics'], reference, directions)
        runs.append(res)
    print(
        f'CPU: {cpu_model()}; torch {torch.__version__}, '
        f'{torch.get_num_threads()} threads; load average '
        f'{load_average()}\n'
    )
    print(markdown(baselines + runs, args.keys))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(
                dict(
                    baselines=baselines,
                    reference=reference,
                    directions=directions,
                    runs=runs,
                ),
                f,
                indent=2,
            )
    return baselines, runs


if __name__ == '__main__':
    main()
