"""Tiled (slide) inference against whole-image inference, side by side.

For one config: build its model (initial weights; the timing does not
depend on them), make a random batch (``--batch-size`` images of
``--size`` with an LR depth of 0.5-1.5 m at ``1 / scale_factor`` of it),
and time images/s of

- **whole**: ``model.forward_test(img, lr_depth)`` on the whole images;
- **slide**: ``slide_inference`` with the model's ``test_cfg`` (tile size,
  stride, normalisation, blending, margin; ``--patch`` / ``--stride``
  override them), once per ``--tile-batch-sizes`` entry.

Tiles overlap, so they hold more pixels than the image: ``k = tiles x
tile pixels / image pixels`` (from the grid of ``grid_positions``). A
perfect tiled path runs at ``whole / k`` images/s; the table gives
``ratio = slide / (whole / k)`` (goal: >= 0.8). The sides alternate in
``--repeats`` rounds (each ``--iters`` batches after ``--warmup``) and the
median round counts.

``--tile-batch-sizes default`` calls ``slide_inference`` without the
``tile_batch_size`` argument, so the same command also measures a version
of the toolbox that predates it.

Examples::

    python benchmarks/slide_inference.py \\
        configs/v3_fusion/v3-fusion_lightenc_1xb8-300it_synthrooms-dsr-x8.py \\
        --size 240 320 --batch-size 8 --tile-batch-sizes 8 16 all
    python benchmarks/slide_inference.py configs/v3_fusion.py \\
        --size 480 640 --batch-size 8 --device cuda --dtype bf16 \\
        --channels-last --tile-batch-sizes 8 16 32 all
"""

import argparse
import os.path as osp
import statistics
import sys
import time
from contextlib import nullcontext

import torch

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import cpu_model, load_average  # noqa: E402

from mmdepthsr.models.utils import grid_positions, slide_inference  # noqa: E402
from mmdepthsr.registry import MODELS  # noqa: E402
from mmdepthsr.utils import load_config, register_all_modules  # noqa: E402
from mmdepthsr.utils.sizes import to_pair  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--size', type=int, nargs=2, default=(480, 640))
    parser.add_argument('--batch-size', type=int, default=1)
    parser.add_argument('--patch', type=int, nargs=2, help='HR tile (h, w)')
    parser.add_argument('--stride', type=int, nargs=2, help='HR step')
    parser.add_argument(
        '--tile-batch-sizes',
        nargs='+',
        default=['16'],
        help="tiles per forward pass: integers, 'all', or 'default' (the "
        'argument left out)',
    )
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--dtype', choices=('fp32', 'bf16'), default='fp32')
    parser.add_argument(
        '--channels-last',
        action='store_true',
        help='model and image in channels_last memory format',
    )
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--iters', type=int, default=3)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--threads', type=int, help='torch intra-op threads')
    return parser.parse_args()


def _sync(device: torch.device):
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def _images_per_s(run, batch, args, device) -> float:
    for _ in range(args.warmup):
        run()
    _sync(device)
    start = time.perf_counter()
    for _ in range(args.iters):
        run()
    _sync(device)
    return batch * args.iters / (time.perf_counter() - start)


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    register_all_modules()
    cfg = load_config(args.config)
    device = torch.device(args.device)
    model = MODELS.build(cfg.model).eval().to(device)
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
    test_cfg = dict(model.test_cfg)
    s = model.scale_factor
    height, width = args.size
    patch = to_pair(args.patch or test_cfg['patch_size'], '--patch')
    patch = (min(patch[0], height), min(patch[1], width))
    stride = args.stride or test_cfg['stride'] or patch
    stride = (min(stride[0], patch[0]), min(stride[1], patch[1]))
    rows = grid_positions(height, patch[0], stride[0])
    cols = grid_positions(width, patch[1], stride[1])
    k = len(rows) * len(cols) * patch[0] * patch[1] / (height * width)

    gen = torch.Generator().manual_seed(0)
    n = args.batch_size
    img = torch.rand(n, 3, height, width, generator=gen).to(device)
    lr = torch.rand(n, 1, height // s, width // s, generator=gen) + 0.5
    lr = lr.to(device)
    if args.channels_last:
        img = img.contiguous(memory_format=torch.channels_last)
    autocast = (
        torch.autocast(device.type, dtype=torch.bfloat16)
        if args.dtype == 'bf16'
        else nullcontext()
    )
    slide_kwargs = dict(
        patch_size=patch,
        stride=stride,
        scale_factor=s,
        normalize=test_cfg['normalize'],
        blend=test_cfg['blend'],
        margin=test_cfg['margin'],
        raw_keys=model.raw_output_keys,
    )

    def whole():
        with torch.no_grad(), autocast:
            model.forward_test(img, lr)

    def slide(size):
        extra = {}
        if size != 'default':
            extra['tile_batch_size'] = None if size == 'all' else int(size)

        def run():
            with torch.no_grad(), autocast:
                slide_inference(
                    model.forward_test, img, lr, **slide_kwargs, **extra
                )

        return run

    sides = {'whole': whole}
    sides.update({f'slide {t}': slide(t) for t in args.tile_batch_sizes})
    rounds = {name: [] for name in sides}
    for r in range(args.repeats):
        for name, run in sides.items():
            rounds[name].append(_images_per_s(run, n, args, device))
            print(
                f'round {r + 1}: {name} {rounds[name][-1]:.3f} img/s',
                file=sys.stderr,
            )
    fps = {name: statistics.median(v) for name, v in rounds.items()}

    params = sum(p.numel() for p in model.parameters()) / 1e6
    dev = (
        torch.cuda.get_device_name(device)
        if device.type == 'cuda'
        else (f'{cpu_model()}, {torch.get_num_threads()} threads')
    )
    print(f'config: {args.config} ({params:.1f} M parameters)')
    print(
        f'device: {dev}; torch {torch.__version__}; {args.dtype}'
        f'{", channels_last" if args.channels_last else ""}; load average '
        f'{load_average()}'
    )
    print(
        f'image {height}x{width}, batch {n}; tiles {patch[0]}x{patch[1]} '
        f'stride {stride[0]}x{stride[1]}: {len(rows)}x{len(cols)} per image, '
        f'k = {k:.3f}; normalize={test_cfg["normalize"]}, '
        f'blend={test_cfg["blend"]}, margin={test_cfg["margin"]}'
    )
    print(
        f'median of {args.repeats} rounds of {args.iters} batches after '
        f'{args.warmup} warm-up\n'
    )
    print('| path | tile_batch_size | img/s | ratio slide / (whole / k) |')
    print('|---|---|---|---|')
    print(f'| whole | - | {fps["whole"]:.3f} | - |')
    for t in args.tile_batch_sizes:
        value = fps[f'slide {t}']
        ratio = value / (fps['whole'] / k)
        print(f'| slide | {t} | {value:.3f} | {ratio:.3f} |')


if __name__ == '__main__':
    main()
