"""Predict depth for one image and write PNGs.

Examples::

    # monocular depth estimation
    python demo/image_demo.py rgb.png CONFIG CHECKPOINT --out-dir out/
    # guided depth super-resolution (LR depth: 16-bit PNG in mm, or .npy m)
    python demo/image_demo.py rgb.png lr.png CONFIG CHECKPOINT --out-dir out/
    # a model without parameters needs no checkpoint
    python demo/image_demo.py demo/room_rgb.png demo/room_lr_depth_x8.png \
        configs/bicubic/bicubic_x8_synthrooms-dsr.py none --out-dir out/

Writes, for an input ``<stem>.png``:

- ``<stem>_pred_depth.png`` / ``<stem>_pred_sr_depth.png``: each predicted
  depth as a 16-bit PNG in millimetres (0 = no prediction);
- ``<stem>_panel.png``: RGB | LR depth | prediction(s), colourised with a
  common depth range.
"""

import argparse
import os
import os.path as osp
import sys
from typing import List, Optional

import cv2
import numpy as np

from mmdepthsr.apis import inference_model, init_model
from mmdepthsr.apis.inference import load_lr_depth
from mmdepthsr.visualization import colorize_depth, make_panel, save_image

#: Prediction fields written by the demo, in panel order.
PRED_KEYS = ('pred_depth', 'pred_sr_depth')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse ``RGB [LR_DEPTH] CONFIG CHECKPOINT`` and the options.

    Args:
        argv (list[str], optional): Arguments; defaults to ``sys.argv``.

    Returns:
        argparse.Namespace: ``img``, ``lr_depth`` (None without it),
        ``config``, ``checkpoint`` (None for ``none``), ``out_dir``,
        ``device``, ``depth_scale``, ``allow_8bit``.
    """
    parser = argparse.ArgumentParser(
        description='Depth prediction for one image',
        usage='%(prog)s RGB [LR_DEPTH] CONFIG CHECKPOINT --out-dir DIR '
        '[--device DEVICE] [--depth-scale SCALE] [--allow-8bit]',
    )
    parser.add_argument(
        'positionals',
        nargs='+',
        metavar='RGB [LR_DEPTH] CONFIG CHECKPOINT',
        help='the RGB image, the low-resolution depth (for depth '
        'super-resolution models), the config and the checkpoint ("none" '
        'for a model without parameters)',
    )
    parser.add_argument('--out-dir', required=True, help='output folder')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument(
        '--depth-scale',
        type=float,
        default=1000.0,
        help='stored value per metre of an integer LR depth file '
        '(default 1000: millimetres)',
    )
    parser.add_argument(
        '--allow-8bit',
        action='store_true',
        help='accept an 8-bit LR depth file (data that are 8-bit by design, '
        'e.g. Middlebury grey levels with --depth-scale 1); refused '
        'otherwise',
    )
    args = parser.parse_args(argv)
    values = args.positionals
    if len(values) not in (3, 4):
        parser.error(
            'expected RGB [LR_DEPTH] CONFIG CHECKPOINT (3 or 4 positional '
            f'arguments), got {len(values)}: {values}'
        )
    args.img = values[0]
    args.lr_depth = values[1] if len(values) == 4 else None
    args.config, args.checkpoint = values[-2], values[-1]
    if args.checkpoint.lower() == 'none':
        args.checkpoint = None
    return args


def depth_to_png16(depth: np.ndarray) -> np.ndarray:
    """Metres to uint16 millimetres (rounded, clipped to 0..65535).

    Args:
        depth (np.ndarray): Depth in metres, any shape.

    Returns:
        np.ndarray: uint16 millimetres; non-finite values become 0.
    """
    mm = np.nan_to_num(np.asarray(depth, np.float64) * 1000.0, nan=0.0)
    return np.clip(np.round(mm), 0, 65535).astype(np.uint16)


def run(args: argparse.Namespace) -> List[str]:
    """Predict and write the PNGs.

    Args:
        args (argparse.Namespace): From :func:`parse_args`.

    Returns:
        list[str]: The files written.
    """
    model = init_model(args.config, args.checkpoint, device=args.device)
    lr = None
    if args.lr_depth is not None:
        lr = load_lr_depth(args.lr_depth, args.depth_scale, args.allow_8bit)
    result = inference_model(
        model, args.img, lr_depth=lr, depth_scale=args.depth_scale
    )
    stem = osp.splitext(osp.basename(args.img))[0]
    os.makedirs(args.out_dir, exist_ok=True)
    written, preds = [], {}
    for key in PRED_KEYS:
        if key not in result:
            continue
        depth = getattr(result, key).data.squeeze(0).cpu().numpy()
        preds[key] = depth
        path = osp.join(args.out_dir, f'{stem}_{key}.png')
        if not cv2.imwrite(path, depth_to_png16(depth)):
            raise OSError(f'image_demo: could not write {path}.')
        written.append(path)
    if not preds:
        raise RuntimeError(
            f'image_demo: {type(model).__name__} returned no depth '
            f'prediction (none of {PRED_KEYS}).'
        )

    maps = ([lr] if lr is not None else []) + list(preds.values())
    valid = np.concatenate([m[np.isfinite(m) & (m > 0)] for m in maps])
    vmin, vmax = (
        (float(valid.min()), float(valid.max())) if valid.size else (0, 1)
    )
    bgr = cv2.imread(args.img, cv2.IMREAD_COLOR)
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    images, titles = [rgb], ['RGB']
    if lr is not None:
        images.append(colorize_depth(lr, vmin, vmax))
        titles.append('LR depth')
    for key, depth in preds.items():
        images.append(colorize_depth(depth, vmin, vmax))
        titles.append(key)
    panel_path = osp.join(args.out_dir, f'{stem}_panel.png')
    save_image(panel_path, make_panel(images, titles))
    written.append(panel_path)
    return written


def main(argv: Optional[List[str]] = None) -> List[str]:
    """Command-line entry point.

    Args:
        argv (list[str], optional): Arguments; defaults to ``sys.argv``.

    Returns:
        list[str]: The files written.
    """
    args = parse_args(argv)
    try:
        written = run(args)
    except (FileNotFoundError, ValueError, TypeError) as err:
        sys.exit(f'ERROR: {err}')
    for path in written:
        print(f'wrote {path}')
    return written


if __name__ == '__main__':
    main()
