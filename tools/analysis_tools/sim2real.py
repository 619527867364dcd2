"""A trained DSR model on the real test sets: RMSE against bicubic.

Runs a guided DSR (or joint) model on Middlebury, Lu and RGB-D-D at the
model's scale factor, under the protocol of the literature's tables
(``configs/_base_/datasets/dsrbench_<set>_x<s>.py``: crop to a multiple of
``s``, PIL bicubic LR, RMSE per image in grey levels clipped to [0, 255] or
in cm, no border), and prints per set: the model's RMSE, the PIL bicubic
baseline's on the same inputs, their ratio, DCTNet's published RMSE for
reference, and the model's inference time per image (``test_step`` of one
image, after one warm-up image; data loading not included).

The model sees its input as its config says: the pipeline records the
min / max of the HR ground truth (``'hr_minmax'``, the literature's
setting), which a whole-image model uses; a model with tiled inference and
a per-tile rule (``test_cfg=dict(mode='slide', normalize='minmax')`` or
``normalize='max'``) undoes it and normalises every tile by its own LR
depth. The results name both.

The real sets are for testing only: run this on a checkpoint chosen on the
training data's validation split, never to choose one.

Examples::

    python tools/analysis_tools/sim2real.py \\
        configs/v3_fusion/v3-fusion_lightenc_1xb8-300it_synthrooms-dsr-x8.py \\
        work_dirs/v3/iter_3000.pth --data-root data/dsr_benchmarks \\
        --out sim2real_v3_x8.json
    python tools/analysis_tools/sim2real.py CONFIG CKPT --sets middlebury lu

Data: ``--data-root``, else ``$MMDEPTHSR_DSR_BENCHMARKS``, else
``data/dsr_benchmarks`` (see docs/dataset_prepare.md).
"""

import argparse
import os
import os.path as osp
import statistics
import sys
import time

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.fileio import dump
from terminaltables import AsciiTable

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BASE_DIR = osp.join(ROOT, 'configs', '_base_', 'datasets')
SETS = ('middlebury', 'lu', 'rgbdd')
ENV = 'MMDEPTHSR_DSR_BENCHMARKS'

#: DCTNet (Zhao et al., CVPR 2022) as published in its README, trained on
#: NYU v2, tested with the HR min / max: RMSE at x4 / x8 / x16.
DCTNET_PUBLISHED = dict(
    middlebury={4: 1.10, 8: 2.05, 16: 4.19},
    lu={4: 0.88, 8: 1.85, 16: 4.39},
    rgbdd={4: 1.08, 8: 1.74, 16: 3.05},
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='RMSE of a DSR model on Middlebury / Lu / RGB-D-D '
        'against PIL bicubic, with inference time per image'
    )
    parser.add_argument('config', help='model config (trained on other data)')
    parser.add_argument(
        'checkpoint',
        help='checkpoint file; "none" keeps the random initialisation '
        '(smoke tests only)',
    )
    parser.add_argument(
        '--sets',
        nargs='+',
        choices=SETS,
        default=list(SETS),
        help='test sets (default: all three)',
    )
    parser.add_argument(
        '--data-root',
        help=f'folder holding Middlebury/, Lu/ and RGBDD/ (default: ${ENV}, '
        'else data/dsr_benchmarks)',
    )
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument(
        '--max-images',
        type=int,
        help='only the first N images of each set (quick looks; the '
        'numbers are then not comparable with the literature)',
    )
    parser.add_argument(
        '--partial-sets',
        action='store_true',
        help='accept sets with fewer pairs than shipped (tests)',
    )
    parser.add_argument('--out', help='write the results to this JSON file')
    return parser.parse_args(argv)


def scale_of(model) -> int:
    """The model's SR factor (x4, x8 or x16 have protocol configs)."""
    scale = getattr(model, 'scale_factor', None)
    if scale not in (4, 8, 16):
        raise ValueError(
            f'{type(model).__name__} has scale_factor {scale!r}; the real '
            'sets have protocol configs for 4, 8 and 16.'
        )
    return int(scale)


def bench_cfg(subset: str, scale: int) -> Config:
    """The ``bench_*`` entries of the set's protocol config."""
    return Config.fromfile(
        osp.join(BASE_DIR, f'dsrbench_{subset}_x{scale}.py')
    )


def _sync(device: str) -> None:
    if str(device).startswith('cuda'):
        torch.cuda.synchronize()


def build_set(subset: str, scale: int, data_root: str, complete: bool):
    """The set's dataset and two metrics (model, bicubic) of its protocol."""
    from mmdepthsr.registry import DATASETS, METRICS

    cfg = bench_cfg(subset, scale)
    dataset = DATASETS.build(
        dict(
            cfg.bench_test_dataloader.dataset,
            data_root=data_root,
            check_num_pairs=complete,
        )
    )
    metrics = [METRICS.build(cfg.bench_test_evaluator) for _ in range(2)]
    for metric in metrics:
        metric.dataset_meta = dataset.metainfo
    return dataset, metrics[0], metrics[1]


def evaluate_set(model, bicubic, subset, scale, data_root, args) -> dict:
    """RMSE of the model and of bicubic on one set, and the time per
    image."""
    dataset, model_metric, bicubic_metric = build_set(
        subset, scale, data_root, not args.partial_sets
    )
    indices = range(len(dataset))
    if args.max_images is not None:
        indices = indices[: args.max_images]
    times = []
    with torch.no_grad():
        for count, index in enumerate(indices):
            batch = pseudo_collate([dataset[index]])
            if count == 0:  # warm-up, not timed
                model.test_step(batch)
            _sync(args.device)
            start = time.perf_counter()
            outputs = model.test_step(batch)
            _sync(args.device)
            times.append(time.perf_counter() - start)
            model_metric.process(batch, outputs)
            bicubic_metric.process(batch, bicubic.test_step(batch))
    num = len(times)
    rmse = model_metric.evaluate(num)['rmse']
    bicubic_rmse = bicubic_metric.evaluate(num)['rmse']
    return dict(
        set=subset,
        scale=scale,
        images=num,
        complete=num == len(dataset) and not args.partial_sets,
        unit=model_metric.unit,
        rmse=rmse,
        bicubic_rmse=bicubic_rmse,
        ratio=rmse / bicubic_rmse,
        dctnet_published=DCTNET_PUBLISHED[subset].get(scale),
        ms_per_image=1000.0 * statistics.mean(times),
        ms_per_image_median=1000.0 * statistics.median(times),
    )


def format_table(rows) -> str:
    header = [
        'set',
        'scale',
        'images',
        'unit',
        'RMSE',
        'bicubic',
        'ratio',
        'DCTNet [published]',
        'ms / image',
    ]
    body = [
        [
            r['set'],
            f'x{r["scale"]}',
            str(r['images']) + ('' if r['complete'] else ' (partial)'),
            'grey levels' if r['unit'] == 'raw' else r['unit'],
            f'{r["rmse"]:.3f}',
            f'{r["bicubic_rmse"]:.3f}',
            f'{r["ratio"]:.3f}',
            '-' if r['dctnet_published'] is None else r['dctnet_published'],
            f'{r["ms_per_image"]:.1f}',
        ]
        for r in rows
    ]
    return AsciiTable([header] + body, title='Real DSR test sets').table


def main(argv=None):
    args = parse_args(argv)
    from mmdepthsr.apis import init_model
    from mmdepthsr.datasets.transforms import dsr_input_protocol
    from mmdepthsr.models.estimators.base_sr import BicubicBaseline
    from mmdepthsr.utils import register_all_modules

    register_all_modules(init_default_scope=True)
    data_root = args.data_root or os.environ.get(ENV) or 'data/dsr_benchmarks'
    checkpoint = None if args.checkpoint.lower() == 'none' else args.checkpoint
    model = init_model(args.config, checkpoint, device=args.device)
    model.eval()
    scale = scale_of(model)
    bicubic = BicubicBaseline(
        scale_factor=scale,
        kernel='pil',
        data_preprocessor=dict(type='DenseDataPreprocessor'),
    ).to(args.device)
    rows = [
        evaluate_set(model, bicubic, subset, scale, data_root, args)
        for subset in args.sets
    ]
    print(format_table(rows))
    cfg = Config.fromfile(args.config)
    input_protocol = dsr_input_protocol(
        bench_cfg(args.sets[0], scale).bench_test_pipeline,
        cfg.model.get('test_cfg'),
    )
    if args.out:
        dump(
            dict(
                config=osp.abspath(args.config),
                checkpoint=checkpoint and osp.abspath(checkpoint),
                device=args.device,
                input=input_protocol,
                results=rows,
            ),
            args.out,
            file_format='json',
            indent=2,
        )
        print(f'Results written to {args.out}')


if __name__ == '__main__':
    sys.exit(main())
