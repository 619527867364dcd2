"""Zero-setup quick start: the flagship v3 joint model on SynthRooms
against bicubic upsampling.

Needs no download. It

1. trains v3 (``JointDepthSR`` with depth-guided SR fusion; the
   fast-learning SynthRooms x8 recipe of ``configs/v3_fusion/``, 1000
   iterations with a cosine schedule) with ``tools/train.py`` on 64 x 64
   grid patches, each normalised by its LR min and max (validation is left out,
   the test below evaluates),
2. tests the final checkpoint on the SynthRooms test split
   (``tools/test.py``; tiled whole-image inference): guided depth SR
   (``rmse``, ``mad`` in cm) and the monocular branch (``depth/*``),
3. tests the parameter-free bicubic baseline on the same split
   (``tools/test.py configs/bicubic/bicubic_x8_synthrooms-dsr.py none``),
4. prints one table with both models side by side, the seam ratio of
   v3's two tiled outputs (mean jump across tile borders over the mean
   jump elsewhere, :mod:`mmdepthsr.models.utils.seams`; 1 = no visible
   tile grid) and writes ``<work_dir>/quick_start.json``.

It exits with status 1 if v3 does not beat bicubic on the SR ``rmse`` or
if its ``rmse`` is above ``--target-ratio`` (default 0.7) times bicubic's,
so it is a real end-to-end check. ``--iters-scale`` shortens the run (the
learning-rate schedule is scaled with it); a shortened run may miss the
target (``--target-ratio 1`` then only asks v3 to win).

Examples::

    python tools/quick_start.py
    python tools/quick_start.py --work-dir work_dirs/qs --iters-scale 0.5
    python tools/quick_start.py --cfg-options \
        test_dataloader.dataset.num_samples=50   # training and both tests

The config actually trained (iterations scaled) is written to
``<work_dir>/v3.py``, its log and checkpoint to ``<work_dir>/v3/``.
"""

import argparse
import glob
import json
import os.path as osp
import subprocess
import sys
import time

import mmengine
from mmengine.config import Config, DictAction
from mmengine.utils import mkdir_or_exist
from terminaltables import AsciiTable

from mmdepthsr.models.utils.seams import SeamAccumulator, slide_tile_boxes
from mmdepthsr.utils import exit_if_config_missing

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOOLS = osp.join(ROOT, 'tools')


def _find_config(pattern: str) -> str:
    """The one config under configs/ matching ``pattern`` (found by name,
    so that a renamed budget needs no change here)."""
    matches = sorted(glob.glob(osp.join(ROOT, 'configs', pattern)))
    if len(matches) != 1:
        raise FileNotFoundError(
            f'expected one config matching configs/{pattern}, found {matches}'
        )
    return matches[0]


MODEL_PATTERN = 'v3_fusion/v3-fusion_*-1000it-cos_synthrooms-dsr-x8.py'
BASELINE_PATTERN = 'bicubic/bicubic_x8_synthrooms-dsr.py'
BASELINE_NAME = 'bicubic'
MODEL_NAME = 'v3'
#: Metrics where a larger value is better (the others: smaller is better).
HIGHER_IS_BETTER = ('a1', 'a2', 'a3')
#: Depth SR metrics of both models, compared side by side.
SR_KEYS = ('rmse', 'mad')
#: The metric the trained model must win for the quick start to pass.
DECISIVE_KEY = 'rmse'
#: The quick start passes when v3's SR rmse is at most this fraction of
#: bicubic's (the recipe reaches it at its full budget; see README).
TARGET_RATIO = 0.7
#: Metrics of v3's monocular branch that are printed.
MDE_KEYS = ('depth/abs_rel', 'depth/a1', 'depth/rmse')
#: Tiled outputs of v3 whose seam ratio is printed.
SEAM_FIELDS = ('pred_sr_depth', 'pred_depth')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Train v3 on SynthRooms and compare it with bicubic '
        'upsampling'
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
        help="factor on the config's max_iters (at least 1 iteration)",
    )
    parser.add_argument(
        '--target-ratio',
        type=float,
        default=TARGET_RATIO,
        help="the largest ratio of v3's SR rmse to bicubic's that passes "
        f'(default {TARGET_RATIO}; 1 only asks v3 to beat bicubic)',
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the trained config and of the baseline '
        'config (e.g. the number of test samples), key=value pairs',
    )
    parser.add_argument(
        '--config',
        help='the config to train (default: the SynthRooms v3 config of '
        'configs/v3_fusion/)',
    )
    args = parser.parse_args(argv)
    args.config = args.config or _find_config(MODEL_PATTERN)
    exit_if_config_missing(args.config)
    if not args.iters_scale > 0:
        parser.error(f'--iters-scale must be > 0, got {args.iters_scale}')
    return args


def stage_config(
    config: str,
    iters_scale: float,
    work_dir: str,
    cfg_options: dict = None,
) -> Config:
    """The config of one training stage, with scaled iterations.

    ``cfg_options`` are merged first; then ``max_iters`` and the
    iteration-based learning-rate schedule (``begin``, ``end``, ``T_max``,
    ``milestones``) are multiplied by ``iters_scale``, so that a shorter
    run follows the same schedule shape; the checkpoint is saved at the last
    iteration only; the validation loop is removed (the test split
    evaluates the result).
    """
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    max_iters = cfg.train_cfg.max_iters
    iters = max(1, round(max_iters * iters_scale))
    cfg.train_cfg.max_iters = iters
    cfg.param_scheduler = [
        scale_scheduler(sched, iters / max_iters)
        for sched in (cfg.get('param_scheduler') or [])
    ]
    cfg.train_cfg.pop('val_interval', None)
    cfg.val_dataloader = None
    cfg.val_cfg = None
    cfg.val_evaluator = None
    cfg.default_hooks.checkpoint.interval = iters
    logger = cfg.default_hooks.logger
    logger.interval = max(1, min(logger.get('interval', 50), iters // 10))
    cfg.work_dir = work_dir
    return cfg


def scale_scheduler(scheduler: dict, factor: float) -> dict:
    """An iteration-based scheduler config with its iteration counts
    multiplied by ``factor`` (epoch-based ones are returned unchanged)."""
    scheduler = dict(scheduler)
    if scheduler.get('by_epoch', True):
        return scheduler
    if 'begin' in scheduler:
        scheduler['begin'] = round(scheduler['begin'] * factor)
    for key in ('end', 'T_max'):
        if key in scheduler:
            scheduler[key] = max(1, round(scheduler[key] * factor))
    if 'milestones' in scheduler:
        scheduler['milestones'] = [
            max(1, round(m * factor)) for m in scheduler['milestones']
        ]
    return scheduler


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


def train_stage(name, config, args) -> tuple:
    """Train a config; returns ``(resolved config path, checkpoint)``."""
    work_dir = osp.abspath(osp.join(args.work_dir, name))
    cfg = stage_config(config, args.iters_scale, work_dir, args.cfg_options)
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


def evaluate_checkpoint(
    config: str,
    checkpoint: str,
    args,
    name: str = 'test',
    predictions: str = None,
) -> dict:
    """Test a checkpoint (``'none'`` for a model without parameters) with
    ``tools/test.py`` (``predictions``: also dump them to this ``.pkl``);
    returns its results."""
    work_dir = osp.abspath(osp.join(args.work_dir, name))
    before = set(glob.glob(osp.join(work_dir, 'test_*.json')))
    dump = [] if predictions is None else ['--out', predictions]
    run_tool(
        [
            osp.join(TOOLS, 'test.py'),
            config,
            checkpoint,
            '--work-dir',
            work_dir,
            *dump,
        ],
        osp.join(osp.abspath(args.work_dir), f'{name}.log'),
    )
    new = sorted(set(glob.glob(osp.join(work_dir, 'test_*.json'))) - before)
    if not new:
        sys.exit(f'ERROR: tools/test.py wrote no results in {work_dir}')
    with open(new[-1]) as f:
        return json.load(f)


def seam_ratios(config: str, predictions: str) -> dict:
    """Seam ratio of every predicted depth map in ``predictions`` (the
    ``tools/test.py --out`` pickle), pooled over the samples, for the tile
    layout of the config's ``test_cfg``; empty for whole-image inference.
    """
    test_cfg = Config.fromfile(config).model.get('test_cfg') or {}
    if test_cfg.get('mode', 'whole') != 'slide':
        return {}
    accumulators = {}
    for sample in mmengine.load(predictions):
        for field in SEAM_FIELDS:
            if sample.get(field) is None:
                continue
            pred = sample[field]
            boxes = slide_tile_boxes(
                pred.shape[-2:],
                test_cfg['patch_size'],
                test_cfg.get('stride'),
                test_cfg.get('margin', 0),
            )
            accumulators.setdefault(field, SeamAccumulator()).add(pred, boxes)
    return {k: acc.result()['ratio'] for k, acc in accumulators.items()}


def baseline_config(args) -> str:
    """The bicubic baseline config with the user's overrides, dumped to
    ``<work_dir>/bicubic.py``."""
    cfg = Config.fromfile(_find_config(BASELINE_PATTERN))
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    path = osp.join(osp.abspath(args.work_dir), 'bicubic.py')
    cfg.dump(path)
    return path


def is_better(key: str, value: float, reference: float) -> bool:
    """Whether ``value`` beats ``reference`` on metric ``key``."""
    if key.split('/')[-1] in HIGHER_IS_BETTER:
        return value > reference
    return value < reference


def comparison_table(baseline: dict, model: dict) -> str:
    """SR rows: baseline | model | which is better; then the monocular
    branch of the model."""
    rows = [['metric', BASELINE_NAME, MODEL_NAME, 'better']]
    for key in SR_KEYS:
        winner = (
            MODEL_NAME
            if is_better(key, model[key], baseline[key])
            else BASELINE_NAME
        )
        rows.append(
            [
                f'SR {key} (cm)',
                f'{baseline[key]:.4f}',
                f'{model[key]:.4f}',
                winner,
            ]
        )
    for key in MDE_KEYS:
        rows.append([key, '-', f'{model[key]:.4f}', '-'])
    return AsciiTable(rows, title='SynthRooms test split, x8').table


def main(argv=None):
    args = parse_args(argv)
    start = time.time()
    mkdir_or_exist(osp.abspath(args.work_dir))

    config, checkpoint = train_stage('v3', args.config, args)
    predictions = osp.join(osp.abspath(args.work_dir), 'test_v3.pkl')
    results = evaluate_checkpoint(
        config, checkpoint, args, name='test_v3', predictions=predictions
    )
    model_metrics = results['metrics']
    seams = seam_ratios(config, predictions)
    base_results = evaluate_checkpoint(
        baseline_config(args), 'none', args, name='test_bicubic'
    )
    baseline_metrics = base_results['metrics']

    print(comparison_table(baseline_metrics, model_metrics))
    print(
        'depth/*: the monocular branch of v3, de-normalised with the LR '
        'statistics of each tile (not a purely monocular estimate).'
    )
    if seams:
        print(
            'Seam ratio of the tiled outputs (mean jump across tile borders '
            '/ elsewhere; 1 = seamless): '
            + ', '.join(f'{k} {v:.3f}' for k, v in seams.items())
        )
    wins = is_better(
        DECISIVE_KEY,
        model_metrics[DECISIVE_KEY],
        baseline_metrics[DECISIVE_KEY],
    )
    ratio = model_metrics[DECISIVE_KEY] / baseline_metrics[DECISIVE_KEY]
    print(
        f'SR {DECISIVE_KEY}: {MODEL_NAME if wins else BASELINE_NAME} is '
        f'better ({MODEL_NAME} {model_metrics[DECISIVE_KEY]:.4f} cm, '
        f'{BASELINE_NAME} {baseline_metrics[DECISIVE_KEY]:.4f} cm, ratio '
        f'{ratio:.3f}, target <= {args.target_ratio})'
    )
    elapsed = time.time() - start
    summary = dict(
        baseline=dict(
            name=BASELINE_NAME,
            metrics=baseline_metrics,
            protocol=base_results.get('protocol'),
        ),
        model=dict(
            name=MODEL_NAME,
            config=config,
            checkpoint=checkpoint,
            metrics=model_metrics,
            protocol=results.get('protocol'),
            seam_ratio=seams,
        ),
        iters_scale=args.iters_scale,
        model_beats_baseline=wins,
        rmse_ratio=ratio,
        target_ratio=args.target_ratio,
        target_met=ratio <= args.target_ratio,
        elapsed_s=round(elapsed, 1),
    )
    out = osp.join(osp.abspath(args.work_dir), 'quick_start.json')
    with open(out, 'w') as f:
        json.dump(summary, f, indent=2)
    print(f'Quick start finished in {elapsed:.0f} s; summary in {out}')
    if not wins:
        print(
            f'FAILED: {MODEL_NAME} does not beat {BASELINE_NAME} on the SR '
            f'{DECISIVE_KEY}.'
        )
        sys.exit(1)
    if ratio > args.target_ratio:
        print(
            f'FAILED: {MODEL_NAME} beats {BASELINE_NAME} but its SR '
            f'{DECISIVE_KEY} is {ratio:.3f}x bicubic, above the target '
            f'{args.target_ratio}x.'
        )
        sys.exit(1)


if __name__ == '__main__':
    main()
