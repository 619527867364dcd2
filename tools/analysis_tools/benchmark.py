"""Inference speed of a config's model: frames per second after warm-up.

Examples::

    python tools/analysis_tools/benchmark.py configs/v3_fusion.py \
        --shape 240 320 --batch 1 --mode whole
    python tools/analysis_tools/benchmark.py CONFIG CHECKPOINT \
        --shape 480 640 --batch 4 --device cuda --channels-last --amp bf16
    python tools/analysis_tools/benchmark.py CONFIG --shape 240 320 \
        --warmup 2 --iters 5 --out speed.json

The model is built from the config (with CHECKPOINT's weights, else random
ones: the speed does not depend on them) and its ``test_step`` runs on one
synthetic batch (``--batch`` random RGB images of ``--shape``; DSR and
joint models also get random LR depths of ``shape / scale_factor``): data
preprocessing on the device, the network (whole image, or tiles with
``--mode slide`` and the config's ``test_cfg`` patch size) and the
post-processing to the image size. Data loading is not timed. ``--warmup``
iterations come first (allocator, oneDNN / cuDNN algorithm choice,
``--compile``'s compilation), then ``--iters`` timed ones, with
``torch.cuda.synchronize()`` around them on a GPU.

``--amp``, ``--channels-last`` and ``--compile`` are those of
``tools/test.py`` (:func:`~mmdepthsr.apis.apply_inference_switches`).

Output: a table with the device (GPU name, or CPU model and torch
threads), torch version, dtype, batch, shape, mode, ms per frame, frames
per second and the load average of the machine (1, 5, 15 min: other
processes on the same cores slow the model down); ``--out FILE.json``
writes the same fields.
"""

import argparse
import os
import os.path as osp
import sys
import time
import warnings

import torch
from mmengine.fileio import dump
from terminaltables import AsciiTable

from mmdepthsr.apis import add_inference_arguments, init_model, synthetic_batch
from mmdepthsr.utils import device_name


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Inference speed of a model (frames per second)'
    )
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        'checkpoint',
        nargs='?',
        default=None,
        help='checkpoint file (default: random weights)',
    )
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        default=(480, 640),
        metavar=('H', 'W'),
        help='input image size (default: 480 640)',
    )
    parser.add_argument(
        '--batch', type=int, default=1, help='images per batch (default: 1)'
    )
    parser.add_argument(
        '--mode',
        choices=('whole', 'slide'),
        help="inference mode (default: the config's test_cfg)",
    )
    parser.add_argument(
        '--warmup',
        type=int,
        default=5,
        help='untimed iterations first (default: 5)',
    )
    parser.add_argument(
        '--iters', type=int, default=20, help='timed iterations (default: 20)'
    )
    parser.add_argument(
        '--device',
        default='cuda' if torch.cuda.is_available() else 'cpu',
        help='device (default: cuda if available, else cpu)',
    )
    parser.add_argument('--out', help='write the results to this .json file')
    add_inference_arguments(parser)
    args = parser.parse_args(argv)
    if args.batch < 1 or args.iters < 1 or args.warmup < 0:
        parser.error('--batch and --iters must be >= 1, --warmup >= 0')
    if args.out is not None and not args.out.endswith('.json'):
        parser.error(f'--out must be a .json file, got {args.out}')
    return args


def _synchronize(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def time_test_step(model, batch, warmup: int, iters: int, device) -> float:
    """Seconds of ``iters`` calls of ``model.test_step(batch)`` after
    ``warmup`` untimed ones, on ``device`` (synchronised on a GPU)."""
    device = torch.device(device)
    with torch.no_grad():
        for _ in range(warmup):
            model.test_step(batch)
        _synchronize(device)
        start = time.perf_counter()
        for _ in range(iters):
            model.test_step(batch)
        _synchronize(device)
    return time.perf_counter() - start


def mode_of(model) -> str:
    test_cfg = getattr(model, 'test_cfg', None) or {}
    return test_cfg.get('mode', 'whole')


def main(argv=None):
    args = parse_args(argv)
    cfg_options = None
    if args.mode is not None:
        cfg_options = {'model.test_cfg.mode': args.mode}
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings('ignore', message='init_model')
            model = init_model(
                args.config,
                args.checkpoint,
                device=args.device,
                cfg_options=cfg_options,
                amp=args.amp,
                channels_last=args.channels_last,
                compile=args.compile,
            )
        batch = synthetic_batch(model, args.shape, args.batch)
    except ValueError as err:
        sys.exit(f'ERROR: {err}')
    seconds = time_test_step(
        model, batch, args.warmup, args.iters, args.device
    )
    frames = args.iters * args.batch
    results = dict(
        config=osp.abspath(args.config),
        checkpoint=args.checkpoint and osp.abspath(args.checkpoint),
        device=device_name(args.device),
        torch=torch.__version__,
        dtype=dict(bf16='bfloat16', fp16='float16').get(args.amp, 'float32'),
        inference=model.inference_switches,
        batch=args.batch,
        shape=list(args.shape),
        mode=mode_of(model),
        warmup=args.warmup,
        iters=args.iters,
        ms_per_frame=1000.0 * seconds / frames,
        fps=frames / seconds,
        load_average=list(os.getloadavg())
        if hasattr(os, 'getloadavg')
        else None,
    )
    rows = [['item', 'value']]
    for key, value in results.items():
        if isinstance(value, float):
            value = f'{value:.2f}'
        rows.append([key, str(value)])
    title = osp.splitext(osp.basename(args.config))[0]
    print(AsciiTable(rows, title=f'Inference speed of {title}').table)
    if args.out is not None:
        dump(results, args.out, file_format='json', indent=2)
        print(f'Results written to {args.out}')


if __name__ == '__main__':
    main()
