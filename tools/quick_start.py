"""Zero-setup quick start: Eigen 2014 on SynthRooms vs the mean predictor.

Needs no download. It

1. trains the Eigen 2014 coarse network, then the fine network on the frozen
   coarse one (two runs of ``tools/train.py``, SynthRooms configs of
   ``configs/eigen2014/``; validation is left out, the test below
   evaluates),
2. tests the final checkpoint on the SynthRooms test split
   (``tools/test.py``),
3. fits the mean-depth baseline (:class:`MeanDepthBaseline`: the mean of
   the valid training depth) on the training split and tests it with the
   same pipeline and ``DepthMetric``,
4. prints one table with both models side by side and writes
   ``<work_dir>/quick_start.json``.

It exits with status 1 if the trained model does not beat the baseline on
both ``abs_rel`` and ``a1``, so it is a real end-to-end check.

Examples::

    python tools/quick_start.py
    python tools/quick_start.py --work-dir work_dirs/qs --iters-scale 0.5
    python tools/quick_start.py --cfg-options \
        test_dataloader.dataset.num_samples=50     # both stages, and test

The stage configs actually run (iterations scaled) are written to
``<work_dir>/<stage>.py``, their logs and checkpoints to
``<work_dir>/<stage>/``.
"""

import argparse
import glob
import json
import os.path as osp
import subprocess
import sys
import time

from mmengine.config import Config, DictAction
from mmengine.utils import mkdir_or_exist
from terminaltables import AsciiTable

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOOLS = osp.join(ROOT, 'tools')


def _synthrooms_config(stage: str) -> str:
    """The SynthRooms config of an Eigen 2014 stage in configs/eigen2014/
    (found by name, so that a renamed budget needs no change here)."""
    pattern = osp.join(
        ROOT, 'configs', 'eigen2014', f'eigen2014-{stage}_*synthrooms*.py'
    )
    matches = sorted(glob.glob(pattern))
    if len(matches) != 1:
        raise FileNotFoundError(
            f'expected one config matching {pattern}, found {matches}'
        )
    return matches[0]


BASELINE_NAME = 'mean-depth baseline'
MODEL_NAME = 'Eigen 2014 coarse+fine'
#: Metrics where a larger value is better (the others: smaller is better).
HIGHER_IS_BETTER = ('a1', 'a2', 'a3')
#: The metrics the trained model must win for the quick start to pass.
DECISIVE_KEYS = ('abs_rel', 'a1')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Train Eigen 2014 on SynthRooms and compare it with the '
        'mean-depth baseline'
    )
    parser.add_argument(
        '--work-dir',
        default=osp.join('work_dirs', 'quick_start'),
        help='where configs, logs, checkpoints and results go',
    )
    parser.add_argument(
        '--iters-scale',
        type=float,
        default=1.0,
        help="factor on both stage configs' max_iters (at least 1 "
        'iteration each)',
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of both stage configs (and so of the '
        'test and the baseline), key=value pairs',
    )
    parser.add_argument(
        '--coarse-config',
        help='stage-1 config (default: the SynthRooms coarse config of '
        'configs/eigen2014/)',
    )
    parser.add_argument(
        '--fine-config',
        help='stage-2 config (default: the SynthRooms fine config of '
        'configs/eigen2014/)',
    )
    args = parser.parse_args(argv)
    args.coarse_config = args.coarse_config or _synthrooms_config('coarse')
    args.fine_config = args.fine_config or _synthrooms_config('fine')
    if not args.iters_scale > 0:
        parser.error(f'--iters-scale must be > 0, got {args.iters_scale}')
    return args


def stage_config(
    config: str,
    iters_scale: float,
    work_dir: str,
    load_from: str = None,
    cfg_options: dict = None,
) -> Config:
    """The config of one training stage, with scaled iterations.

    ``cfg_options`` are merged first; then ``max_iters`` is multiplied by
    ``iters_scale``; the checkpoint is saved at the last iteration only;
    the validation loop is removed (the test split evaluates the result);
    ``load_from`` replaces the config's stage-1 checkpoint path.
    """
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    iters = max(1, round(cfg.train_cfg.max_iters * iters_scale))
    cfg.train_cfg.max_iters = iters
    cfg.train_cfg.pop('val_interval', None)
    cfg.val_dataloader = None
    cfg.val_cfg = None
    cfg.val_evaluator = None
    cfg.default_hooks.checkpoint.interval = iters
    logger = cfg.default_hooks.logger
    logger.interval = max(1, min(logger.get('interval', 50), iters // 10))
    cfg.work_dir = work_dir
    if load_from is not None:
        cfg.load_from = load_from
    return cfg


def run_tool(args: list, log_file: str) -> None:
    """Run ``python tools/<args>`` with its output in ``log_file``."""
    cmd = [sys.executable, *args]
    print(f'$ {" ".join(cmd)}  (log: {log_file})', flush=True)
    with open(log_file, 'w') as log:
        proc = subprocess.run(
            cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
        )
    if proc.returncode != 0:
        with open(log_file) as log:
            tail = log.read()[-3000:]
        sys.exit(
            f'ERROR: {" ".join(args[:2])} failed with status '
            f'{proc.returncode}; end of {log_file}:\n{tail}'
        )


def last_checkpoint(work_dir: str) -> str:
    """The checkpoint the Runner saved last in ``work_dir``."""
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        sys.exit(f'ERROR: no checkpoint was saved in {work_dir}')
    with open(marker) as f:
        return f.read().strip()


def train_stage(name, config, args, load_from=None) -> tuple:
    """Train one stage; returns ``(resolved config path, checkpoint)``."""
    work_dir = osp.abspath(osp.join(args.work_dir, name))
    cfg = stage_config(
        config, args.iters_scale, work_dir, load_from, args.cfg_options
    )
    path = osp.join(osp.abspath(args.work_dir), f'{name}.py')
    cfg.dump(path)
    print(
        f'[{name}] {cfg.train_cfg.max_iters} iterations of '
        f'{osp.basename(config)}',
        flush=True,
    )
    run_tool(
        [osp.join(TOOLS, 'train.py'), path, '--work-dir', work_dir],
        osp.join(osp.abspath(args.work_dir), f'{name}.log'),
    )
    return path, last_checkpoint(work_dir)


def evaluate_checkpoint(config: str, checkpoint: str, args) -> dict:
    """Test a checkpoint with ``tools/test.py``; returns its results."""
    work_dir = osp.abspath(osp.join(args.work_dir, 'test'))
    before = set(glob.glob(osp.join(work_dir, 'test_*.json')))
    run_tool(
        [
            osp.join(TOOLS, 'test.py'),
            config,
            checkpoint,
            '--work-dir',
            work_dir,
        ],
        osp.join(osp.abspath(args.work_dir), 'test.log'),
    )
    new = sorted(set(glob.glob(osp.join(work_dir, 'test_*.json'))) - before)
    if not new:
        sys.exit(f'ERROR: tools/test.py wrote no results in {work_dir}')
    with open(new[-1]) as f:
        return json.load(f)


def evaluate_baseline(config: str, args) -> tuple:
    """Fit the mean depth on the training split and test the baseline with
    the test split, pipeline and metric of ``config``.

    Returns:
        tuple: ``(mean depth in metres, metrics dict)``.
    """
    from mmdepthsr.models.estimators.mean_depth_baseline import (
        MeanDepthBaseline,
        fit_mean_depth,
    )
    from mmdepthsr.registry import RUNNERS
    from mmdepthsr.utils import register_all_modules

    register_all_modules()
    cfg = Config.fromfile(config)
    # Raw training samples: the ground truth before any augmentation.
    train_set = dict(cfg.train_dataloader.dataset, pipeline=[])
    mean_depth = fit_mean_depth(train_set)
    model = MeanDepthBaseline(
        mean_depth=mean_depth, data_preprocessor=cfg.model.data_preprocessor
    )
    print(f'[baseline] training-set mean depth: {mean_depth:.4f} m')
    runner_cls = RUNNERS.get(cfg.get('runner_type', 'DenseRunner'))
    runner = runner_cls(
        model=model,
        work_dir=osp.abspath(osp.join(args.work_dir, 'baseline')),
        test_dataloader=cfg.test_dataloader,
        test_evaluator=cfg.test_evaluator,
        test_cfg=cfg.test_cfg,
        env_cfg=cfg.get('env_cfg', {}),
        default_scope=cfg.get('default_scope', 'mmdepthsr'),
        log_level='WARNING',
    )
    metrics = runner.test()
    return mean_depth, metrics


def is_better(key: str, value: float, reference: float) -> bool:
    """Whether ``value`` beats ``reference`` on metric ``key``."""
    if key.split('/')[-1] in HIGHER_IS_BETTER:
        return value > reference
    return value < reference


def comparison_table(baseline: dict, model: dict) -> str:
    """One row per metric key: baseline | model | which is better."""
    rows = [['metric', BASELINE_NAME, MODEL_NAME, 'better']]
    for key, value in model.items():
        if key not in baseline:
            continue
        winner = (
            MODEL_NAME
            if is_better(key, value, baseline[key])
            else (BASELINE_NAME)
        )
        rows.append([key, f'{baseline[key]:.4f}', f'{value:.4f}', winner])
    return AsciiTable(rows, title='SynthRooms test split').table


def main(argv=None):
    args = parse_args(argv)
    start = time.time()
    mkdir_or_exist(osp.abspath(args.work_dir))

    _, coarse_ckpt = train_stage('coarse', args.coarse_config, args)
    fine_cfg, fine_ckpt = train_stage(
        'fine', args.fine_config, args, load_from=coarse_ckpt
    )
    results = evaluate_checkpoint(fine_cfg, fine_ckpt, args)
    model_metrics = results['metrics']
    mean_depth, baseline_metrics = evaluate_baseline(fine_cfg, args)

    print(comparison_table(baseline_metrics, model_metrics))
    verdicts = {}
    for key in DECISIVE_KEYS:
        wins = is_better(key, model_metrics[key], baseline_metrics[key])
        verdicts[key] = wins
        print(
            f'{key}: {MODEL_NAME if wins else BASELINE_NAME} is better '
            f'({MODEL_NAME} {model_metrics[key]:.4f}, {BASELINE_NAME} '
            f'{baseline_metrics[key]:.4f})'
        )
    elapsed = time.time() - start
    summary = dict(
        baseline=dict(mean_depth=mean_depth, metrics=baseline_metrics),
        model=dict(
            config=fine_cfg, checkpoint=fine_ckpt, metrics=model_metrics
        ),
        protocol=results.get('protocol'),
        iters_scale=args.iters_scale,
        model_beats_baseline=verdicts,
        elapsed_s=round(elapsed, 1),
    )
    out = osp.join(osp.abspath(args.work_dir), 'quick_start.json')
    with open(out, 'w') as f:
        json.dump(summary, f, indent=2)
    print(f'Quick start finished in {elapsed:.0f} s; summary in {out}')
    if not all(verdicts.values()):
        lost = [k for k, wins in verdicts.items() if not wins]
        print(
            f'FAILED: {MODEL_NAME} does not beat the {BASELINE_NAME} on '
            f'{", ".join(lost)}.'
        )
        sys.exit(1)


if __name__ == '__main__':
    main()
