"""Write one PNG panel per dataset sample: RGB | depth | labels | normals.

Usage::

    python tools/misc/browse_dataset.py CONFIG --out-dir DIR \
        [--split train|val|test] [--num N] [--spread] \
        [--cfg-options k=v ...]

The dataset is ``cfg.<split>_dataloader.dataset`` with its pipeline. A
sample is read from the packed form (``inputs`` + ``data_samples``, when the
pipeline ends with ``PackDenseInputs``) or from the raw results dict. The
panel shows whatever exists of:

- the image (float images in 0-1 are scaled to 0-255; mean/std-normalised
  ones are stretched to their range);
- ``gt_depth`` (metres; sparse maps such as projected LiDAR are dilated so
  that the points are visible);
- ``lr_depth`` on the colour scale of ``gt_depth``, shown at the image
  height. A normalised ``lr_depth`` (``depth_norm_min`` /
  ``depth_norm_max`` in the metainfo) is first brought back to metres as
  ``lr * (max - min) + min``;
- ``gt_sem_seg`` with the dataset's palette, or a generated one when the
  metainfo has none (or too few colours);
- ``gt_normal``;
- for patch samples (``patch_box`` and ``source_shape``, the full image's
  size, in the metainfo), the patch's place in the full image.

Panels are named after the image file (plus ``_patch<top>_<left>`` for
patches). A sample whose pipeline raises is reported and skipped; the exit
status is then 1.
"""

import argparse
import colorsys
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np
from mmengine.config import Config, DictAction

from mmdepthsr.registry import DATASETS
from mmdepthsr.structures.depth_norm import denormalize_with_meta
from mmdepthsr.utils import register_all_modules
from mmdepthsr.visualization import (
    colorize_depth,
    colorize_labels,
    colorize_normals,
    make_panel,
    save_image,
)

#: Dense fields drawn after the image, in panel order.
FIELDS = ('gt_depth', 'lr_depth', 'gt_sem_seg', 'gt_normal')

#: Below this fraction of valid pixels a depth map is drawn dilated.
SPARSE_RATIO = 0.1


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Save side-by-side panels of dataset samples.'
    )
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--out-dir', required=True, help='folder for the PNG panels'
    )
    parser.add_argument(
        '--split',
        default='train',
        choices=['train', 'val', 'test'],
        help='which <split>_dataloader.dataset to browse',
    )
    parser.add_argument(
        '--num', type=int, default=10, help='number of samples to draw'
    )
    parser.add_argument(
        '--spread',
        action='store_true',
        help='draw samples spread evenly over the dataset instead of the '
        'first ones',
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, e.g. '
        'train_dataloader.dataset.num_samples=5',
    )
    return parser.parse_args(argv)


def _numpy(value) -> np.ndarray:
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def spread_indices(length: int, num: int) -> List[int]:
    """``num`` indices spread evenly over ``range(length)``, ends included.

    Args:
        length (int): Dataset length.
        num (int): How many indices (all of them if ``num >= length``).

    Returns:
        list[int]: Sorted, distinct indices.
    """
    if num <= 0 or length <= 0:
        return []
    if num >= length:
        return list(range(length))
    return sorted({int(i) for i in np.round(np.linspace(0, length - 1, num))})


def read_sample(item: dict) -> Dict[str, object]:
    """The image, dense fields and metainfo of one dataset item.

    Args:
        item (dict): ``dict(inputs, data_samples)`` from ``PackDenseInputs``
            or a raw results dict.

    Returns:
        dict: ``img`` (H, W, 3) in its own dtype (absent if the item has no
        image), the present :data:`FIELDS` as numpy arrays ((H, W) maps,
        normals (H, W, 3)) and ``meta`` (dict: the packed metainfo, or the
        raw results without the image and the dense maps).
    """
    fields: Dict[str, object] = {}
    if 'inputs' in item and 'data_samples' in item:
        sample = item['data_samples']
        img = _numpy(item['inputs'])
        fields['img'] = img.transpose(1, 2, 0) if img.ndim == 3 else img
        for key in FIELDS:
            if key in sample:
                data = _numpy(getattr(sample, key).data)
                fields[key] = (
                    data.transpose(1, 2, 0) if data.shape[0] == 3 else data[0]
                )
        fields['meta'] = dict(sample.metainfo)
    else:
        if item.get('img') is not None:
            fields['img'] = _numpy(item['img'])
        for key in FIELDS:
            if item.get(key) is not None:
                data = _numpy(item[key])
                if key != 'gt_normal' and data.ndim == 3:
                    data = data[..., 0] if data.shape[-1] == 1 else data[0]
                fields[key] = data
        fields['meta'] = {
            k: v for k, v in item.items() if k not in FIELDS and k != 'img'
        }
    return fields


def display_image(img: np.ndarray) -> np.ndarray:
    """An image as (H, W, 3) uint8 for display.

    uint8 is kept; floats in 0-255 are rounded; floats in 0-1 are scaled by
    255; anything with negative values (mean/std normalised) is stretched
    from its minimum to its maximum.
    """
    img = np.asarray(img)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    if img.dtype == np.uint8:
        return img
    img = np.nan_to_num(img.astype(np.float64))
    lo, hi = float(img.min()), float(img.max())
    if lo < 0:
        img = (img - lo) / max(hi - lo, 1e-12) * 255.0
    elif hi <= 1.0:
        img = img * 255.0
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def make_palette(num_classes: int) -> List[List[int]]:
    """``num_classes`` distinct RGB colours (golden-ratio hue steps).

    Deterministic, so a class keeps its colour across samples and runs.
    """
    colours = []
    for i in range(num_classes):
        hue = (i * 0.618033988749895) % 1.0
        value = 0.95 if i % 2 == 0 else 0.7
        rgb = colorsys.hsv_to_rgb(hue, 0.75, value)
        colours.append([int(round(c * 255)) for c in rgb])
    return colours


def _palette_for(labels: np.ndarray, palette: Optional[Sequence]):
    """The palette, extended with generated colours to cover ``labels``."""
    known = labels[labels != 255]
    needed = int(known.max()) + 1 if known.size else 1
    colours = [list(c) for c in palette] if palette is not None else []
    if len(colours) < needed:
        colours += make_palette(needed)[len(colours) :]
    return colours


def _sparse_for_display(depth: np.ndarray) -> np.ndarray:
    """Dilate a sparse depth map (e.g. projected LiDAR) for display only."""
    valid = np.isfinite(depth) & (depth > 0)
    if not valid.any() or valid.mean() >= SPARSE_RATIO:
        return depth
    size = 3 if valid.mean() > 0.02 else 5
    kernel = np.ones((size, size), np.uint8)
    # Invalid pixels (and the border) become the largest float32, so the
    # erosion (a minimum filter) gives each pixel the nearest depth among
    # the valid points around it.
    empty = np.finfo(np.float32).max
    filled = np.where(valid, depth, empty).astype(np.float32)
    near = cv2.erode(filled, kernel, borderValue=float(empty))
    return np.where(near < empty, near, 0.0).astype(np.float32)


def _patch_location(meta: dict, height: int) -> Optional[np.ndarray]:
    """The full image as a grey frame with the patch's box in red."""
    box = meta.get('patch_box')
    shape = meta.get('source_shape')
    if box is None or shape is None:
        return None
    top, left, h, w = (int(v) for v in box)
    full_h, full_w = (int(v) for v in tuple(shape)[:2])
    scale = height / max(full_h, 1)
    width = max(1, int(round(full_w * scale)))
    canvas = np.full((height, width, 3), 200, np.uint8)
    y0, x0 = int(round(top * scale)), int(round(left * scale))
    y1 = min(height - 1, max(y0, int(round((top + h) * scale)) - 1))
    x1 = min(width - 1, max(x0, int(round((left + w) * scale)) - 1))
    canvas[y0 : y1 + 1, x0 : x1 + 1] = (255, 160, 160)
    canvas[[y0, y1], x0 : x1 + 1] = (220, 0, 0)
    canvas[y0 : y1 + 1, [x0, x1]] = (220, 0, 0)
    return canvas


def draw_panel(fields: dict, palette: Optional[Sequence] = None) -> np.ndarray:
    """Side-by-side panel of the fields returned by :func:`read_sample`.

    Args:
        fields (dict): Output of :func:`read_sample`.
        palette (Sequence, optional): One RGB colour per class; generated
            colours fill in when it is None or too short.

    Returns:
        np.ndarray: (H', W', 3) uint8 RGB panel.
    """
    meta = fields.get('meta', {})
    images, titles = [], []
    if 'img' in fields:
        images.append(display_image(fields['img']))
        titles.append('RGB')
    depth = fields.get('gt_depth')
    lr = fields.get('lr_depth')
    if lr is not None:
        lr = denormalize_with_meta(np.asarray(lr, np.float64), meta)
    vmin = vmax = None
    ref = depth if depth is not None else lr
    if ref is not None:
        valid = ref[np.isfinite(ref) & (ref > 0)]
        if valid.size:
            vmin, vmax = float(valid.min()), float(valid.max())
    if depth is not None:
        shown = _sparse_for_display(depth)
        images.append(colorize_depth(shown, vmin=vmin, vmax=vmax))
        titles.append('depth' if shown is depth else 'depth (dilated)')
    if lr is not None:
        images.append(colorize_depth(lr, vmin=vmin, vmax=vmax))
        factor = meta.get('scale_factor')
        titles.append(f'LR depth x{factor}' if factor else 'LR depth')
    if 'gt_sem_seg' in fields:
        labels = np.asarray(fields['gt_sem_seg']).astype(np.int64)
        images.append(colorize_labels(labels, _palette_for(labels, palette)))
        titles.append('labels')
    if 'gt_normal' in fields:
        images.append(colorize_normals(fields['gt_normal']))
        titles.append('normals')
    if not images:
        raise ValueError('browse_dataset: the sample has nothing to draw.')
    location = _patch_location(meta, images[0].shape[0])
    if location is not None:
        images.append(location)
        titles.append('patch')
    return make_panel(images, titles=titles)


def panel_name(fields: dict, index: int) -> str:
    """File stem of a panel: the image's stem (or the index), plus the
    patch position for patch samples."""
    meta = fields.get('meta', {})
    img_path = meta.get('img_path')
    stem = (
        osp.splitext(osp.basename(str(img_path)))[0]
        if img_path
        else f'{index:06d}'
    )
    if meta.get('patch_box') is not None:
        top, left = (int(v) for v in tuple(meta['patch_box'])[:2])
        stem = f'{stem}_patch{top}_{left}'
    return stem


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    register_all_modules(init_default_scope=True)
    key = f'{args.split}_dataloader'
    if key not in cfg or 'dataset' not in cfg[key]:
        raise KeyError(
            f'browse_dataset: {args.config} has no `{key}.dataset` to browse.'
        )
    dataset = DATASETS.build(cfg[key]['dataset'])
    palette = dataset.metainfo.get('palette')
    classes = dataset.metainfo.get('classes')
    if palette is None and classes:
        palette = make_palette(len(classes))
    if args.spread:
        indices = spread_indices(len(dataset), args.num)
    else:
        indices = list(range(min(args.num, len(dataset))))
    used = set()
    failed = []
    for i in indices:
        try:
            fields = read_sample(dataset[i])
        except Exception as err:
            failed.append(i)
            print(f'browse_dataset: sample {i} skipped: {err}')
            continue
        stem = panel_name(fields, i)
        if stem in used:
            stem = f'{stem}_{i:06d}'
        used.add(stem)
        save_image(
            osp.join(args.out_dir, f'{stem}.png'), draw_panel(fields, palette)
        )
    print(
        f'browse_dataset: wrote {len(indices) - len(failed)} panels to '
        f'{args.out_dir}'
        + (f'; {len(failed)} samples failed' if failed else '')
    )
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
