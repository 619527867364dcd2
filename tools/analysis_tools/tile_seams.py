"""Seam ratio of tiled predictions, with the test metrics of the same run.

Runs a DSR or joint model with tiled inference (``test_cfg.mode='slide'``)
on the first samples of its test split and reports, for every depth map it
predicts (``pred_sr_depth``, ``pred_depth``), the seam statistic of
:mod:`mmdepthsr.models.utils.seams` (mean ``|jump|`` between adjacent
pixels across tile seams over the same mean elsewhere; 1 = no visible
seams), pooled over the samples, next to the metrics of the config's test
evaluator on the same predictions.

Examples::

    python tools/analysis_tools/tile_seams.py CONFIG CHECKPOINT
    python tools/analysis_tools/tile_seams.py CONFIG CHECKPOINT \
        --num-samples 50 --test-cfg stride=32 blend=linear
    python tools/analysis_tools/tile_seams.py CONFIG CHECKPOINT \
        --test-cfg stride=32 blend=linear --out seams.json

``--test-cfg`` entries replace those of ``model.test_cfg`` (``stride``,
``blend``, ``margin``, ``patch_size``, ``normalize``); tuples are written
``patch_size="(128,128)"``.
"""

import argparse
import json
from typing import Dict, Optional, Sequence

import torch
from mmengine.config import Config, DictAction
from mmengine.dataset import pseudo_collate
from mmengine.evaluator import Evaluator
from terminaltables import AsciiTable

from mmdepthsr.apis import init_model
from mmdepthsr.models.utils.seams import SeamAccumulator, slide_tile_boxes
from mmdepthsr.registry import DATASETS
from mmdepthsr.utils import register_all_modules

#: Predicted depth maps that are checked for seams, when present.
SEAM_FIELDS = ('pred_sr_depth', 'pred_depth')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Seam ratio of tiled predictions and the test metrics'
    )
    parser.add_argument('config', help='model config (test_cfg mode slide)')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--num-samples',
        type=int,
        default=None,
        help='the first N test samples (default: all)',
    )
    parser.add_argument(
        '--test-cfg',
        nargs='+',
        action=DictAction,
        default={},
        help='entries replacing those of model.test_cfg, key=value pairs',
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='other config overrides, key=value pairs',
    )
    parser.add_argument('--out', help='write the results to this JSON file')
    return parser.parse_args(argv)


def tile_layout(model, img_shape: Sequence[int]):
    """The tile boxes of ``model.test_cfg`` on an HR image of
    ``img_shape`` (:func:`slide_tile_boxes`)."""
    cfg = model.test_cfg
    if cfg['mode'] != 'slide':
        raise ValueError(
            'tile_seams: the model tests the whole image at once '
            "(test_cfg.mode='whole'); there are no tiles."
        )
    return slide_tile_boxes(
        tuple(img_shape), cfg['patch_size'], cfg['stride'], cfg['margin']
    )


@torch.no_grad()
def evaluate_seams(
    model,
    dataset,
    num_samples: Optional[int] = None,
    evaluator: Optional[Evaluator] = None,
    fields: Sequence[str] = SEAM_FIELDS,
) -> Dict[str, dict]:
    """Seam statistic (and metrics) of a model's tiled predictions.

    Args:
        model (nn.Module): Model in eval mode, tiled ``test_cfg``.
        dataset: Test dataset (samples with ``gt_depth``).
        num_samples (int, optional): The first N samples; default all.
        evaluator (Evaluator, optional): Fed the same predictions.
        fields (Sequence[str]): Predicted maps to check; those a model does
            not predict are skipped.

    Returns:
        dict: ``seams``: ``{field: {'seam_jump', 'other_jump', 'ratio'}}``
        (jumps in metres, pooled over the samples); ``metrics``: the
        evaluator's results (empty without one); ``num_samples``.
    """
    count = len(dataset) if num_samples is None else num_samples
    count = min(count, len(dataset))
    accumulators = {}
    for index in range(count):
        data = pseudo_collate([dataset[index]])
        outputs = model.test_step(data)
        for sample in outputs:
            for field in fields:
                if field not in sample:
                    continue
                pred = sample.get(field).data
                boxes = tile_layout(model, pred.shape[-2:])
                accumulators.setdefault(field, SeamAccumulator()).add(
                    pred, boxes
                )
        if evaluator is not None:
            evaluator.process(data_samples=outputs, data_batch=data)
    metrics = evaluator.evaluate(count) if evaluator is not None else {}
    return dict(
        seams={k: acc.result() for k, acc in accumulators.items()},
        metrics=metrics,
        num_samples=count,
    )


def build(args):
    """Model (with the test_cfg overrides), test dataset and evaluator."""
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    test_cfg = dict(cfg.model.get('test_cfg') or {})
    test_cfg.update(args.test_cfg or {})
    cfg.model.test_cfg = test_cfg
    model = init_model(cfg, args.checkpoint)
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    metrics = cfg.get('test_evaluator')
    evaluator = None
    if metrics:
        evaluator = Evaluator(
            list(metrics) if isinstance(metrics, (list, tuple)) else metrics
        )
        evaluator.dataset_meta = getattr(dataset, 'metainfo', None)
    return model, dataset, evaluator


def format_table(results: dict, test_cfg: dict) -> str:
    rows = [['map', 'seam |jump| (m)', 'other |jump| (m)', 'ratio']]
    for field, stats in results['seams'].items():
        rows.append(
            [
                field,
                f'{stats["seam_jump"]:.5f}',
                f'{stats["other_jump"]:.5f}',
                f'{stats["ratio"]:.3f}',
            ]
        )
    title = f'{results["num_samples"]} samples, test_cfg {test_cfg}'
    table = AsciiTable(rows, title=title).table
    metrics = results['metrics']
    if metrics:
        table += '\n' + '  '.join(
            f'{key}: {value:.4f}' for key, value in metrics.items()
        )
    return table


def main(argv=None):
    args = parse_args(argv)
    model, dataset, evaluator = build(args)
    results = evaluate_seams(model, dataset, args.num_samples, evaluator)
    results['test_cfg'] = dict(model.test_cfg)
    print(format_table(results, results['test_cfg']))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=2, default=str)
    return results


if __name__ == '__main__':
    main()
