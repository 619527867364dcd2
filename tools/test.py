"""Test a trained model: metric table, results JSON, predictions, panels.

Examples::

    python tools/test.py CONFIG CHECKPOINT
    python tools/test.py CONFIG CHECKPOINT --work-dir work_dirs/eval
    python tools/test.py configs/bicubic/bicubic_x8_nyu-dsr.py none
    python tools/test.py CONFIG CHECKPOINT --out preds.pkl --show-dir vis/
    python tools/test.py CONFIG CHECKPOINT --channels-last --amp bf16
    python tools/test.py CONFIG CHECKPOINT --cfg-options \
        test_evaluator.crop=eigen_nyu
    bash tools/dist_test.sh CONFIG CHECKPOINT 8               # torchrun

``CHECKPOINT`` may be ``none`` (or left out) for models without
parameters, such as ``BicubicBaseline``; a model with parameters needs one.
The checkpoint must match the model: missing, unexpected or mis-shaped
weights stop the test with a list of the keys (exit status 1) unless
``--non-strict`` is given, which loads the matching weights and logs the
rest as a warning. ``tools/dist_test.sh CONFIG none N`` tests a model
without parameters in N processes as well (it is not wrapped in DDP).

Outputs:

- stdout: a header table (config, checkpoint, the protocol of each metric)
  and the metric table (one row per key);
- ``<work_dir>/test_<timestamp>.json`` (by default next to the checkpoint
  when it lies in a training work dir): ``metrics``, ``protocol`` (per
  metric class, and for DSR test pipelines ``input``: the degradation and
  the normalisation of the network input by name, e.g. ``'hr_minmax'``,
  :func:`~mmdepthsr.datasets.transforms.dsr_input_protocol`),
  ``checkpoint``, ``config``, ``time``, ``num_samples``, ``inference``
  (the switches below), ``checkpoint_sha256`` (the SHA-256 of the
  checkpoint file) and ``strict_load``;
- ``--out FILE.pkl``: one dict per test sample, in dataset order, with
  ``img_path``, ``sample_idx``, ``ori_shape``, ``img_shape`` and every
  ``pred_*`` map as a ``(C, H, W)`` numpy array at the ground truth's size
  (:class:`~mmdepthsr.engine.dump_predictions_hook.DumpPredictionsHook`;
  read it back with ``mmengine.load``);
- ``--show-dir DIR``: one PNG figure per test sample: RGB, the LR depth,
  a titled panel per predicted field (SR and monocular depth,
  segmentation with a class legend, normals), ground truth and errors,
  depth on one colour bar in metres
  (:class:`~mmdepthsr.engine.visualization_hook.DenseVisualizationHook`);
  the folder is printed at the end.

Inference switches (:func:`~mmdepthsr.apis.apply_inference_switches`):
``--amp [bf16|fp16]`` autocasts the test step (a bare ``--amp`` is bf16;
put it after CONFIG and CHECKPOINT), ``--channels-last`` stores parameters
and inputs channels-last, ``--compile`` runs the model through
``torch.compile``. Predictions are float32 either way.
"""

import argparse
import datetime
import os
import os.path as osp
import sys

from mmengine.config import DictAction
from mmengine.dist import is_main_process
from mmengine.fileio import dump
from terminaltables import AsciiTable

from mmdepthsr.apis import add_inference_arguments, apply_inference_switches
from mmdepthsr.datasets.transforms import dsr_input_protocol
from mmdepthsr.engine import (
    ConfigValidationError,
    DenseVisualizationHook,
    DumpPredictionsHook,
    validate_config,
)
from mmdepthsr.evaluation import collect_protocols
from mmdepthsr.registry import RUNNERS
from mmdepthsr.utils import (
    CheckpointMismatchError,
    close_distributed,
    exit_if_config_missing,
    file_sha256,
    load_config,
    register_all_modules,
    setup_distributed,
)
from mmdepthsr.utils.dist import LAUNCHERS

VIS_HOOK = DenseVisualizationHook.__name__
DUMP_HOOK = DumpPredictionsHook.__name__


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Test (and evaluate) a dense predictor'
    )
    parser.add_argument('config', help='test config file path')
    parser.add_argument(
        'checkpoint',
        nargs='?',
        default=None,
        help='checkpoint file; "none" (or nothing) for a model without '
        'parameters (e.g. BicubicBaseline)',
    )
    parser.add_argument(
        '--work-dir',
        help='the dir for logs and the results JSON (default: the '
        "checkpoint's dir when it is a training work dir, i.e. holds "
        "last_checkpoint; else the config's work_dir, else "
        './work_dirs/<config name>)',
    )
    parser.add_argument(
        '--out',
        help='dump the predictions of every test sample to this .pkl file',
    )
    parser.add_argument(
        '--show-dir',
        help='write one PNG figure per test sample (inputs, every '
        'predicted field, ground truth, errors) into this dir',
    )
    parser.add_argument(
        '--non-strict',
        action='store_true',
        help='load a checkpoint that does not match the model (the matching '
        'weights only, the rest is logged) instead of stopping',
    )
    add_inference_arguments(parser)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value pairs, e.g. '
        'test_evaluator.crop=eigen_nyu',
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
    if args.checkpoint is not None and args.checkpoint.lower() == 'none':
        args.checkpoint = None
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def add_visualization_hook(cfg, show_dir: str) -> None:
    """Draw every test sample into ``show_dir``.

    A ``DenseVisualizationHook`` already in ``default_hooks.visualization``
    or ``custom_hooks`` is switched on; otherwise one is added.
    """
    settings = dict(draw=True, interval=1, out_dir=show_dir)
    default_hooks = cfg.get('default_hooks') or {}
    vis = default_hooks.get('visualization')
    if vis is not None and vis.get('type') == VIS_HOOK:
        vis.update(settings)
        return
    hooks = list(cfg.get('custom_hooks') or [])
    for hook in hooks:
        if hook.get('type') == VIS_HOOK:
            hook.update(settings)
            break
    else:
        hooks.append(dict(type=VIS_HOOK, **settings))
    cfg.custom_hooks = hooks


def build_config(args) -> tuple:
    """Load, override and check the config; start the process group.

    Returns:
        tuple: ``(cfg, notes)`` where ``notes`` are sentences to log.
    """
    if (
        args.checkpoint is not None
        and not osp.isfile(args.checkpoint)
        and '://' not in args.checkpoint
    ):
        raise FileNotFoundError(f'checkpoint {args.checkpoint} not found')
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
        raise ValueError(f'--out must be a .pkl file, got {args.out}')

    cfg = load_config(
        args.config,
        args.cfg_options,
        args.work_dir or checkpoint_work_dir(args.checkpoint),
    )

    # DenseRunner loads `load_from` as a trusted checkpoint (torch >= 2.6
    # refuses MMEngine's own checkpoints weights-only).
    cfg.setdefault('runner_type', 'DenseRunner')
    cfg.load_from = args.checkpoint
    cfg.resume = False
    if args.non_strict:
        cfg.strict_load = False

    if args.show_dir is not None:
        add_visualization_hook(cfg, args.show_dir)
    if args.out is not None:
        hooks = list(cfg.get('custom_hooks') or [])
        hooks.append(dict(type=DUMP_HOOK, out_file=args.out))
        cfg.custom_hooks = hooks

    validate_config(cfg)
    notes = setup_distributed(cfg, args.launcher)
    return cfg, notes


def check_parameter_free(model, config: str) -> None:
    """Refuse to test a model with parameters without a checkpoint.

    Raises:
        ValueError: If ``model`` has parameters.
    """
    model = getattr(model, 'module', model)
    count = sum(p.numel() for p in model.parameters())
    if count:
        raise ValueError(
            f'{type(model).__name__} of {config} has {count} parameters; '
            'give a checkpoint (CHECKPOINT "none" is only for models '
            'without parameters, such as BicubicBaseline).'
        )


def checkpoint_sha256(checkpoint):
    """The SHA-256 of a local checkpoint file (None for no checkpoint or a
    URL)."""
    if checkpoint is None or not osp.isfile(checkpoint):
        return None
    return file_sha256(checkpoint)


def metric_protocols(evaluator, cfg=None) -> dict:
    """The ``protocol`` of every metric of the evaluator that has one, the
    sub-metrics of a ``MultiTaskMetric`` included, keyed by class name (and
    prefix, when the metric has one); with ``cfg``, also ``input``: how the
    test pipeline makes and normalises a DSR input (when it does)."""
    protocols = collect_protocols(evaluator.metrics)
    if cfg is not None:
        dataset = cfg.get('test_dataloader', {}).get('dataset', {})
        while 'pipeline' not in dataset and 'dataset' in dataset:
            dataset = dataset['dataset']  # dataset wrappers
        model = cfg.get('model') or {}
        described = dsr_input_protocol(
            dataset.get('pipeline') or [], model.get('test_cfg')
        )
        if described is not None:
            protocols['input'] = described
    return protocols


def _fmt(value) -> str:
    if isinstance(value, float):
        return f'{value:.4f}'
    return str(value)


def format_tables(config, checkpoint, metrics, protocols) -> str:
    """The header table (config, checkpoint, protocols) and the metric
    table (one ``name | value`` row per key), as text."""
    header = [['item', 'value'], ['config', config]]
    header.append(['checkpoint', checkpoint])
    for name, protocol in protocols.items():
        for key, value in protocol.items():
            header.append([f'{name}.{key}', str(value)])
    rows = [['metric', 'value']]
    rows += [[key, _fmt(value)] for key, value in metrics.items()]
    title = osp.splitext(osp.basename(config))[0]
    return '\n'.join(
        [
            AsciiTable(header, title=f'Test of {title}').table,
            AsciiTable(rows, title='Metrics').table,
        ]
    )


def checkpoint_work_dir(checkpoint):
    """The training work dir a local checkpoint lies in (the folder that
    holds MMEngine's ``last_checkpoint``), else None."""
    if checkpoint is None or '://' in checkpoint:
        return None
    folder = osp.dirname(osp.abspath(checkpoint))
    if osp.isfile(osp.join(folder, 'last_checkpoint')):
        return folder
    return None


def main(argv=None):
    args = parse_args(argv)
    exit_if_config_missing(args.config)
    register_all_modules(init_default_scope=False)
    try:
        cfg, notes = build_config(args)
    except (ConfigValidationError, FileNotFoundError, ValueError) as err:
        sys.exit(f'ERROR: {err}')

    runner = RUNNERS.build(cfg)
    try:
        run_test(runner, cfg, args, notes)
    finally:
        close_distributed()


def run_test(runner, cfg, args, notes):
    """Test with a built runner; print and write the results (rank 0)."""
    if args.checkpoint is None:
        try:
            check_parameter_free(runner.model, args.config)
        except ValueError as err:
            sys.exit(f'ERROR: {err}')
    for note in notes:
        runner.logger.info(note)
    try:
        switches = apply_inference_switches(
            runner.model,
            amp=args.amp,
            channels_last=args.channels_last,
            compile=args.compile,
        )
    except ValueError as err:
        sys.exit(f'ERROR: {err}')
    runner.logger.info(f'Inference switches: {switches}')
    try:
        metrics = runner.test()
    except CheckpointMismatchError as err:
        sys.exit(f'ERROR: {err}')
    if not is_main_process():
        return

    protocols = metric_protocols(runner.test_loop.evaluator, cfg)
    checkpoint = args.checkpoint or 'none (model without parameters)'
    print(format_tables(args.config, checkpoint, metrics, protocols))
    results = dict(
        metrics=metrics,
        protocol=protocols,
        checkpoint=args.checkpoint and osp.abspath(args.checkpoint),
        checkpoint_sha256=checkpoint_sha256(args.checkpoint),
        strict_load=bool(cfg.get('strict_load', True)),
        config=osp.abspath(args.config),
        cfg_options=args.cfg_options,
        time=datetime.datetime.now().isoformat(timespec='seconds'),
        num_samples=len(runner.test_dataloader.dataset),
        inference=switches,
    )
    json_file = osp.join(cfg.work_dir, f'test_{runner.timestamp}.json')
    dump(results, json_file, file_format='json', indent=2)
    print(f'Results written to {json_file}')
    if args.show_dir is not None:
        print(f'Figures written to {osp.abspath(args.show_dir)}')


if __name__ == '__main__':
    main()
