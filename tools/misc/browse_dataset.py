"""Write one PNG panel per dataset sample: RGB | depth | labels | normals.

Usage::

    python tools/misc/browse_dataset.py CONFIG --out-dir DIR \
        [--split train|val|test] [--num N] [--cfg-options k=v ...]

The dataset is ``cfg.<split>_dataloader.dataset`` with its pipeline. A
sample is read from the packed form (``inputs`` + ``data_samples``, when the
pipeline ends with ``PackDenseInputs``) or from the raw results dict. The
panel shows whatever exists of: the image, ``gt_depth``, ``lr_depth`` (same
colour scale as ``gt_depth``, resized to the image height), ``gt_sem_seg``
(with the dataset's palette) and ``gt_normal``.
"""

import argparse
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.config import Config, DictAction

from mmdepthsr.registry import DATASETS
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


def _hwc_uint8(img: np.ndarray) -> np.ndarray:
    if img.dtype != np.uint8:
        img = np.clip(np.round(img), 0, 255).astype(np.uint8)
    return img


def read_sample(item: dict) -> Dict[str, object]:
    """The image, dense fields and metainfo of one dataset item.

    Args:
        item (dict): ``dict(inputs, data_samples)`` from ``PackDenseInputs``
            or a raw results dict.

    Returns:
        dict: ``img`` (H, W, 3) uint8 RGB, the present :data:`FIELDS` as
        numpy arrays ((H, W) maps, normals (H, W, 3)) and ``meta`` (dict).
    """
    fields: Dict[str, object] = {}
    if 'inputs' in item and 'data_samples' in item:
        sample = item['data_samples']
        fields['img'] = _hwc_uint8(_numpy(item['inputs']).transpose(1, 2, 0))
        for key in FIELDS:
            if key in sample:
                data = _numpy(getattr(sample, key).data)
                fields[key] = (
                    data.transpose(1, 2, 0) if data.shape[0] == 3 else data[0]
                )
        fields['meta'] = dict(sample.metainfo)
    else:
        if item.get('img') is not None:
            fields['img'] = _hwc_uint8(_numpy(item['img']))
        for key in FIELDS:
            if item.get(key) is not None:
                fields[key] = _numpy(item[key])
        fields['meta'] = {
            k: item[k] for k in ('img_path', 'sample_idx') if k in item
        }
    return fields


def _default_palette(num_classes: int) -> List[List[int]]:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (num_classes, 3)).tolist()


def draw_panel(fields: dict, palette: Optional[Sequence] = None) -> np.ndarray:
    """Side-by-side panel of the fields returned by :func:`read_sample`."""
    images, titles = [], []
    if 'img' in fields:
        images.append(fields['img'])
        titles.append('RGB')
    vmin = vmax = None
    if 'gt_depth' in fields:
        depth = fields['gt_depth']
        valid = depth[np.isfinite(depth) & (depth > 0)]
        if valid.size:
            vmin, vmax = float(valid.min()), float(valid.max())
    for key, title in (('gt_depth', 'depth'), ('lr_depth', 'LR depth')):
        if key in fields:
            images.append(colorize_depth(fields[key], vmin=vmin, vmax=vmax))
            titles.append(title)
    if 'gt_sem_seg' in fields:
        labels = fields['gt_sem_seg']
        if palette is None:
            known = labels[labels != 255]
            palette = _default_palette(
                int(known.max()) + 1 if known.size else 1
            )
        images.append(colorize_labels(labels, palette))
        titles.append('labels')
    if 'gt_normal' in fields:
        images.append(colorize_normals(fields['gt_normal']))
        titles.append('normals')
    if not images:
        raise ValueError('browse_dataset: the sample has nothing to draw.')
    return make_panel(images, titles=titles)


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
    used = set()
    count = min(args.num, len(dataset))
    for i in range(count):
        fields = read_sample(dataset[i])
        img_path = fields['meta'].get('img_path')
        stem = (
            osp.splitext(osp.basename(str(img_path)))[0]
            if img_path
            else f'{i:06d}'
        )
        if stem in used:
            stem = f'{stem}_{i:06d}'
        used.add(stem)
        save_image(
            osp.join(args.out_dir, f'{stem}.png'), draw_panel(fields, palette)
        )
    print(f'browse_dataset: wrote {count} panels to {args.out_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
