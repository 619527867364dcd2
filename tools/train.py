"""Train a model from a config.

Examples::

    python tools/train.py configs/v3_fusion.py
    python tools/train.py CONFIG --work-dir work_dirs/run1 --amp
    python tools/train.py CONFIG --resume                 # latest in work_dir
    python tools/train.py CONFIG --resume work_dirs/run1/iter_2000.pth
    python tools/train.py CONFIG --cfg-options load_from=ckpt.pth --non-strict
    python tools/train.py CONFIG --cfg-options train_cfg.max_iters=100
    bash tools/dist_train.sh CONFIG 8                     # torchrun / DDP
"""

import argparse
import os
import sys

from mmengine.config import DictAction

from mmdepthsr.engine import (
    ConfigValidationError,
    configure_amp,
    validate_config,
)
from mmdepthsr.registry import RUNNERS
from mmdepthsr.utils import (
    CheckpointMismatchError,
    close_distributed,
    exit_if_config_missing,
    load_config,
    register_all_modules,
    setup_distributed,
)
from mmdepthsr.utils.dist import LAUNCHERS


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a dense predictor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--work-dir',
        help='the dir to save logs and checkpoints (default: '
        './work_dirs/<config name>)',
    )
    parser.add_argument(
        '--resume',
        nargs='?',
        const='auto',
        default=None,
        metavar='CHECKPOINT',
        help='resume training: from CHECKPOINT if given, else from the '
        'latest checkpoint in the work dir',
    )
    parser.add_argument(
        '--non-strict',
        action='store_true',
        help='load a load_from / --resume checkpoint that does not match '
        'the model (the matching weights only, the rest is logged) instead '
        'of stopping',
    )
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='mixed precision: AmpOptimWrapper (float16) on GPU, '
        'CPUAutocastOptimWrapper (bfloat16 autocast) on CPU',
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value pairs, e.g. '
        'train_cfg.max_iters=100 "model.backbone.depth=50"',
    )
    parser.add_argument(
        '--launcher',
        choices=LAUNCHERS,
        default='none',
        help='job launcher',
    )
    # torch.distributed.launch passes --local-rank (torch >= 2.0) or
    # --local_rank; torchrun sets LOCAL_RANK instead.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def build_config(args) -> tuple:
    """Load, override and check the config; start the process group.

    Returns:
        tuple: ``(cfg, notes)`` where ``notes`` are sentences to log.
    """
    cfg = load_config(args.config, args.cfg_options, args.work_dir)

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    if args.non_strict:
        cfg.strict_load = False

    # DenseRunner loads load_from / resume checkpoints as trusted and
    # strictly (strict_load).
    cfg.setdefault('runner_type', 'DenseRunner')
    notes = []
    amp_note = configure_amp(cfg, enable=args.amp)
    if amp_note:
        notes.append(amp_note)
    validate_config(cfg)
    notes.extend(setup_distributed(cfg, args.launcher))
    return cfg, notes


def main(argv=None):
    args = parse_args(argv)
    exit_if_config_missing(args.config)
    register_all_modules(init_default_scope=False)
    try:
        cfg, notes = build_config(args)
    except ConfigValidationError as err:
        sys.exit(f'ERROR: {err}')

    runner = RUNNERS.build(cfg)
    for note in notes:
        runner.logger.info(note)
    try:
        runner.train()
    except CheckpointMismatchError as err:
        sys.exit(f'ERROR: {err}')
    finally:
        close_distributed()


if __name__ == '__main__':
    main()
