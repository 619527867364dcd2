"""Check a dataset config: run its pipeline on samples and report the units.

Usage::

    python tools/misc/check_dataset.py CONFIG [--split train|val|test] \
        [--num N] [--cfg-options k=v ...] [--out report.json]

The dataset is ``cfg.<split>_dataloader.dataset`` (default split: val) with
its pipeline, run on ``N`` samples (default 20) spread evenly over the set,
first and last included. Samples may be packed (``inputs`` +
``data_samples`` from ``PackDenseInputs``) or raw results dicts. The report
fits on one screen: a header (dataset, length, pipeline, fields) and one
line per check, each ``OK``, ``WARN``, ``FAIL`` or ``SKIP`` (field absent)
with a short reason:

- ``load``: every sample goes through the pipeline; an error (missing or
  corrupt file, wrong size, an 8-bit depth file that ``LoadDepth`` was not
  told to expect with ``allow_8bit=True``, ...) is caught per sample and
  shown with the sample's file name, and is a FAIL.
- ``image``: dtype, shape ``H x W x 3`` and value range (uint8 0-255 or
  float 0-255; floats in 0-1 or mean/std-normalised values are a WARN).
- ``sizes``: the ground-truth maps share one size (FAIL otherwise); an
  image of another size (a ``Resize`` with ``resize_gt=False``) is noted;
  ``patch_box`` (height, width) matches the maps.
- ``depth``: min / median / max of the valid ``gt_depth`` in metres,
  pooled over the checked samples. WARN when the values look like
  millimetres (median > 100), like normalised units (max <= 1) or like
  disparity (values larger at the bottom of the image than at the top in
  most samples, the reverse of a camera looking at a floor or a road;
  judged on samples with at least 1 % valid pixels in both thirds).
  A dataset whose METAINFO declares another ``depth_unit`` (e.g. 8-bit
  disparity levels) gets its range reported in that unit, without the
  heuristics.
- ``valid``: fraction of valid (finite, > 0) ``gt_depth`` pixels per sample
  (min / mean); a sample without a valid pixel, or with NaN/inf or negative
  values, is a FAIL.
- ``labels``: class ids seen against the number of classes in the dataset's
  METAINFO; ids >= that number other than 255 (ignore), or negative, are a
  FAIL.
- ``lr/hr``: ``lr_depth`` is ``gt_depth`` (or the image) divided by one
  integer factor equal to the ``scale_factor`` metainfo (FAIL otherwise).
  With ``depth_norm_min`` / ``depth_norm_max`` in the metainfo,
  ``lr_depth`` must lie in [0, 1] (FAIL beyond 5 % outside) and its
  de-normalised median must agree with ``gt_depth``'s; without them, an
  ``lr_depth`` in other units than ``gt_depth`` is a WARN.
- ``normals``: valid vectors have unit length (FAIL otherwise); fraction of
  valid pixels; most of them must face the camera (``n . ray < 0`` with the
  rays of ``cam_intrinsics``), else a WARN about the sign convention.
- ``intrinsics``: ``cam_intrinsics`` (fx, fy, cx, cy) present (WARN if
  not), positive focal lengths and the principal point inside the image
  (FAIL otherwise; see :func:`principal_point_bounds` for patches and
  crops), fx / fy and the horizontal field of view plausible (0.5-2 and
  10-170 degrees, WARN otherwise).

The exit status is 1 when any check FAILs (also when the dataset cannot be
built), else 0. ``--out`` writes the checks and the per-sample numbers as
JSON.
"""

import argparse
import importlib.util
import json
import math
import os.path as osp
import sys
import textwrap
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.config import Config, DictAction
from mmengine.dataset import BaseDataset

from mmdepthsr.registry import DATASETS
from mmdepthsr.structures.depth_norm import denormalize_with_meta
from mmdepthsr.utils import register_all_modules


def _load_sibling(name: str):
    """Import a tool next to this file (tools are scripts, not a package)."""
    path = osp.join(osp.dirname(osp.abspath(__file__)), f'{name}.py')
    spec = importlib.util.spec_from_file_location(f'_tools_misc_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_browse = _load_sibling('browse_dataset')
read_sample = _browse.read_sample
spread_indices = _browse.spread_indices

#: Line width of the report.
WIDTH = 100
IGNORE_INDEX = 255
#: Median depth (m) above which the values look like millimetres.
MM_MEDIAN = 100.0
#: Tolerances: unit length of normals, [0, 1] range of normalised LR depth
#: (bicubic overshoot), LR / HR median ratio.
UNIT_TOL = 1e-3
NORM_TOL = 0.05
MEDIAN_RATIO = 2.0
#: A sample whose bottom-third median exceeds its top-third median by this
#: factor counts as "inverted" (disparity-like).
INVERTED_RATIO = 1.2
#: The top / bottom comparison needs this many valid pixels (and this
#: fraction of the third) in both thirds; sparse maps (projected LiDAR)
#: are left out of it.
GRADE_MIN_PIXELS = 20
GRADE_MIN_RATIO = 0.01
#: ``depth_unit`` metainfo values that mean metres.
METRE_NAMES = ('m', 'metre', 'metres', 'meter', 'meters')
#: Samples kept per depth map for the pooled statistics.
MAX_VALUES = 50_000
#: Transform attributes shown in the pipeline summary.
SHOWN_ATTRS = ('depth_scale', 'scale_factor', 'method', 'mode', 'num_classes')
#: Names of the checks, in report order.
CHECKS = (
    'load',
    'image',
    'sizes',
    'depth',
    'valid',
    'labels',
    'lr/hr',
    'normals',
    'intrinsics',
)
#: Metainfo keys listed in the header.
SHOWN_META = (
    'cam_intrinsics',
    'scale_factor',
    'depth_norm_min',
    'depth_norm_max',
    'patch_box',
    'source_shape',
)


@dataclass
class Check:
    """One line of the report.

    Args:
        name (str): Short name (``'depth'``, ``'labels'``, ...).
        status (str): ``'OK'``, ``'WARN'``, ``'FAIL'`` or ``'SKIP'``.
        message (str): The reason, with the numbers.
        notes (list[str]): Extra lines (offending samples), at most three
            are printed.
        values (dict): The numbers behind the message (JSON report).
    """

    name: str
    status: str
    message: str
    notes: List[str] = field(default_factory=list)
    values: Dict[str, object] = field(default_factory=dict)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Run a dataset config on a few samples and check units, '
        'ids, sizes, normals and intrinsics.'
    )
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--split',
        default='val',
        choices=['train', 'val', 'test'],
        help='which <split>_dataloader.dataset to check (default: val)',
    )
    parser.add_argument(
        '--num',
        type=int,
        default=20,
        help='number of samples, spread evenly over the set (default: 20)',
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, e.g. val_dataloader.dataset.data_root=X',
    )
    parser.add_argument('--out', help='write the report as JSON to this file')
    return parser.parse_args(argv)


# --------------------------------------------------------------- sampling


def load_item(dataset, idx: int):
    """Run the pipeline on sample ``idx``.

    A :class:`~mmengine.dataset.BaseDataset` whose ``__getitem__`` is
    MMEngine's would silently replace a sample dropped by the pipeline (a
    transform returning None) by a random other one in training mode, so
    its ``prepare_data`` is called directly and None is an error.
    """
    if (
        isinstance(dataset, BaseDataset)
        and type(dataset).__getitem__ is BaseDataset.__getitem__
    ):
        if not getattr(dataset, '_fully_initialized', True):
            dataset.full_init()
        item = dataset.prepare_data(idx)
        if item is None:
            raise RuntimeError(
                'the pipeline dropped the sample (a transform returned '
                'None); training would silently use another sample instead.'
            )
        return item
    return dataset[idx]


def _path_name(info: dict) -> Optional[str]:
    for key in ('img_path', 'depth_path', 'lr_depth_path', 'seg_map_path'):
        if info.get(key):
            return str(info[key])
    for key, value in info.items():
        if key.endswith('_path') and isinstance(value, str) and value:
            return value
    return None


def failed_sample_name(dataset, idx: int) -> str:
    """The file of a sample whose pipeline raised (or ``#idx``)."""
    try:
        info = dataset.get_data_info(idx)
    except Exception:
        return f'#{idx}'
    name = _path_name(info) if isinstance(info, dict) else None
    return f'#{idx} {name}' if name else f'#{idx}'


def _float(value) -> Optional[float]:
    return None if value is None else float(value)


def _intrinsics(meta: dict) -> Optional[List[float]]:
    k = meta.get('cam_intrinsics')
    if k is None:
        return None
    return [float(v) for v in np.asarray(k, np.float64).reshape(-1)]


def _depth_stats(depth: np.ndarray) -> Tuple[dict, np.ndarray]:
    d = np.asarray(depth, np.float64)
    finite = np.isfinite(d)
    valid = finite & (d > 0)
    values = d[valid]
    stats = dict(
        shape=list(d.shape),
        nonfinite=int((~finite).sum()),
        negative=int((d[finite] < 0).sum()),
        valid_ratio=float(valid.mean()) if d.size else 0.0,
        min=float(values.min()) if values.size else None,
        median=float(np.median(values)) if values.size else None,
        max=float(values.max()) if values.size else None,
    )
    third = d.shape[0] // 3
    if third:
        top = d[:third][valid[:third]]
        bottom = d[-third:][valid[-third:]]
        enough = max(GRADE_MIN_PIXELS, GRADE_MIN_RATIO * third * d.shape[1])
        if top.size >= enough and bottom.size >= enough:
            stats['top_median'] = float(np.median(top))
            stats['bottom_median'] = float(np.median(bottom))
    step = max(1, values.size // MAX_VALUES)
    return stats, values[::step]


def _normal_stats(normal, meta: dict, img_shape) -> dict:
    n = np.asarray(normal, np.float64)
    stats = dict(shape=list(n.shape))
    if n.ndim != 3 or n.shape[2] != 3:
        stats['bad_shape'] = True
        return stats
    finite = np.isfinite(n).all(axis=2)
    norm = np.linalg.norm(np.where(finite[..., None], n, 0.0), axis=2)
    valid = finite & (norm > 0)
    stats.update(
        nonfinite=int((~finite).sum()),
        valid_ratio=float(valid.mean()),
        max_unit_error=float(np.abs(norm[valid] - 1).max())
        if valid.any()
        else 0.0,
    )
    if not valid.any():
        return stats
    h, w = n.shape[:2]
    k = _intrinsics(meta)
    if k is not None and len(k) == 4 and img_shape is not None:
        # Intrinsics describe the image; rescale them to the normal map
        # (pixel centres at integers).
        sy, sx = h / img_shape[0], w / img_shape[1]
        fx, fy = k[0] * sx, k[1] * sy
        cx, cy = (k[2] + 0.5) * sx - 0.5, (k[3] + 0.5) * sy - 0.5
        v, u = np.nonzero(valid)
        rays = np.stack(
            [(u - cx) / fx, (v - cy) / fy, np.ones_like(u, np.float64)], 1
        )
        dots = (n[valid] * rays).sum(axis=1)
    else:
        dots = n[valid][:, 2]
    stats['facing_ratio'] = float((dots < 0).mean())
    return stats


def sample_stats(fields: dict, idx: int) -> Tuple[dict, np.ndarray]:
    """The numbers of one sample that the checks aggregate.

    Args:
        fields (dict): Output of ``browse_dataset.read_sample``.
        idx (int): Dataset index.

    Returns:
        tuple[dict, np.ndarray]: JSON-ready statistics and a subsample of
        the valid ``gt_depth`` values (metres) for the pooled median.
    """
    meta = fields.get('meta', {})
    stats: Dict[str, object] = dict(idx=idx)
    name = _path_name(meta)
    stats['name'] = name if name else f'#{idx}'
    values = np.zeros(0)
    img_shape = None
    if fields.get('img') is not None:
        img = np.asarray(fields['img'])
        img_shape = img.shape[:2]
        stats['img'] = dict(
            dtype=str(img.dtype),
            shape=list(img.shape),
            min=float(np.nanmin(img)) if img.size else None,
            max=float(np.nanmax(img)) if img.size else None,
        )
    if fields.get('gt_depth') is not None:
        stats['gt_depth'], values = _depth_stats(fields['gt_depth'])
    if fields.get('lr_depth') is not None:
        lr = np.asarray(fields['lr_depth'], np.float64)
        finite = lr[np.isfinite(lr)]
        metres = denormalize_with_meta(lr, meta)
        valid = metres[np.isfinite(metres) & (metres > 0)]
        stats['lr_depth'] = dict(
            shape=list(lr.shape),
            min=float(finite.min()) if finite.size else None,
            max=float(finite.max()) if finite.size else None,
            median_denorm=float(np.median(valid)) if valid.size else None,
        )
    if fields.get('gt_sem_seg') is not None:
        labels = np.asarray(fields['gt_sem_seg'])
        ids = np.unique(labels)
        stats['gt_sem_seg'] = dict(
            shape=list(labels.shape),
            dtype=str(labels.dtype),
            ids=[int(i) for i in ids] if labels.dtype.kind in 'uib' else [],
            ignore_ratio=float((labels == IGNORE_INDEX).mean()),
        )
    if fields.get('gt_normal') is not None:
        stats['gt_normal'] = _normal_stats(
            fields['gt_normal'], meta, img_shape
        )
    stats['meta'] = dict(
        cam_intrinsics=_intrinsics(meta),
        scale_factor=meta.get('scale_factor'),
        depth_norm_min=_float(meta.get('depth_norm_min')),
        depth_norm_max=_float(meta.get('depth_norm_max')),
        patch_box=[int(v) for v in meta['patch_box']]
        if meta.get('patch_box') is not None
        else None,
        crop_box=[int(v) for v in meta['crop_box']]
        if meta.get('crop_box') is not None
        else None,
        source_shape=[int(v) for v in tuple(meta['source_shape'])[:2]]
        if meta.get('source_shape') is not None
        else None,
    )
    stats['meta_keys'] = sorted(str(k) for k in meta)
    return stats, values


# ----------------------------------------------------------------- checks


def _fmt(value: Optional[float]) -> str:
    if value is None:
        return '-'
    if 1000 <= abs(value) < 1e7:
        return f'{value:.0f}'
    return f'{value:.3g}'


def _ratio(value: float) -> str:
    """A fraction: 3 decimals, or 2 significant digits below 0.01."""
    return f'{value:.3f}' if value >= 0.01 or value == 0 else f'{value:.2g}'


def _shape(shape: Sequence[int]) -> str:
    return 'x'.join(str(int(s)) for s in shape)


def _with(samples: List[dict], key: str) -> List[dict]:
    return [s for s in samples if key in s]


def _names(samples: Sequence[dict], limit: int = 3) -> str:
    names = [str(s['name']) for s in samples[:limit]]
    more = len(samples) - limit
    return ', '.join(names) + (f' (+{more} more)' if more > 0 else '')


def check_load(num: int, errors: List[dict]) -> Check:
    ok = num - len(errors)
    if not errors:
        return Check('load', 'OK', f'{ok}/{num} samples through the pipeline')
    notes = []
    for e in errors:
        # The loaders name the file; do not repeat the sample's path then.
        path = e['name'].partition(' ')[2]
        name = f'#{e["idx"]}' if path and path in e['error'] else e['name']
        notes.append(f'{name}: {e["error"]}')
    return Check(
        'load', 'FAIL', f'{len(errors)}/{num} samples raised an error', notes
    )


def check_image(samples: List[dict]) -> Check:
    have = _with(samples, 'img')
    if not have:
        return Check('image', 'SKIP', 'no image in the samples')
    bad = [s for s in have if len(s['img']['shape']) != 3]
    bad += [s for s in have if s not in bad and s['img']['shape'][2] != 3]
    dtypes = sorted({s['img']['dtype'] for s in have})
    shapes = sorted({_shape(s['img']['shape']) for s in have})
    lo = min(s['img']['min'] for s in have if s['img']['min'] is not None)
    hi = max(s['img']['max'] for s in have if s['img']['max'] is not None)
    text = (
        f'{"/".join(dtypes)} {", ".join(shapes[:3])}'
        + (' ...' if len(shapes) > 3 else '')
        + f', values {_fmt(lo)}..{_fmt(hi)}'
    )
    if len(have) < len(samples):
        text += f'; {len(samples) - len(have)} samples without image'
    if bad:
        return Check(
            'image',
            'FAIL',
            f'{len(bad)} images are not H x W x 3 ({text})',
            [_names(bad)],
        )
    status, reasons = 'OK', []
    if lo < 0:
        status = 'WARN'
        reasons.append(
            'negative values: normalised in the pipeline? (the '
            'data preprocessor normalises; keep 0..255)'
        )
    elif hi <= 1.0 and any(d != 'uint8' for d in dtypes):
        status = 'WARN'
        reasons.append('float image in 0..1; expected 0..255')
    elif hi > 255:
        status = 'WARN'
        reasons.append('values above 255')
    if hi == lo:
        status = 'WARN'
        reasons.append('constant image')
    return Check('image', status, '; '.join([text] + reasons))


def check_sizes(samples: List[dict]) -> Check:
    gt_keys = ('gt_depth', 'gt_sem_seg', 'gt_normal')
    bad, img_differs, patch_bad = [], [], []
    gt_shapes = set()
    for s in samples:
        shapes = {k: tuple(s[k]['shape'][:2]) for k in gt_keys if k in s}
        if len(set(shapes.values())) > 1:
            bad.append((s, shapes))
        if shapes:
            ref = next(iter(shapes.values()))
            gt_shapes.add(ref)
            if 'img' in s and tuple(s['img']['shape'][:2]) != ref:
                img_differs.append(s)
            box = s['meta']['patch_box']
            if box is not None and tuple(box[2:4]) != ref:
                patch_bad.append(s)
    if not gt_shapes:
        return Check('sizes', 'SKIP', 'no ground-truth map in the samples')
    shown = ', '.join(_shape(x) for x in sorted(gt_shapes)[:3])
    text = f'gt maps {shown}' + (' ...' if len(gt_shapes) > 3 else '')
    if bad:
        s, shapes = bad[0]
        detail = ', '.join(f'{k} {_shape(v)}' for k, v in shapes.items())
        return Check(
            'sizes',
            'FAIL',
            f'{len(bad)} samples have ground-truth maps of different sizes',
            [f'{s["name"]}: {detail}'],
        )
    status, notes = 'OK', []
    if img_differs:
        s = img_differs[0]
        text += (
            f'; image {_shape(s["img"]["shape"][:2])} in '
            f'{len(img_differs)} samples (gt kept at full size)'
        )
    if patch_bad:
        status = 'WARN'
        s = patch_bad[0]
        text += f'; patch_box h x w != map size in {len(patch_bad)} samples'
        notes.append(f'{s["name"]}: patch_box {s["meta"]["patch_box"]}')
    return Check('sizes', status, text, notes)


def depth_unit(metainfo: dict) -> Optional[str]:
    """The depth unit a dataset declares in its metainfo (``depth_unit``),
    or None for metres (the toolbox convention)."""
    unit = metainfo.get('depth_unit')
    if unit is None or str(unit).strip().lower() in METRE_NAMES:
        return None
    return str(unit)


def check_depth_units(
    samples: List[dict], values: np.ndarray, unit: Optional[str] = None
) -> Check:
    """Depth range; unit heuristics unless the metainfo declares a unit
    other than metres (``depth_unit``), which is then reported instead."""
    have = _with(samples, 'gt_depth')
    if not have:
        return Check('depth', 'SKIP', 'no gt_depth in the samples')
    if not values.size:
        return Check('depth', 'FAIL', 'no valid gt_depth pixel at all')
    lo, med, hi = (
        float(values.min()),
        float(np.median(values)),
        float(values.max()),
    )
    values = dict(min=lo, median=med, max=hi, unit=unit or 'm')
    if unit is not None:
        text = f'gt_depth {_fmt(lo)} / {_fmt(med)} / {_fmt(hi)} (min/med/max)'
        return Check(
            'depth', 'OK', f'{text}; METAINFO depth_unit: {unit}', [], values
        )
    text = f'gt_depth {_fmt(lo)} / {_fmt(med)} / {_fmt(hi)} m (min/med/max)'
    reasons = []
    if med > MM_MEDIAN:
        reasons.append(
            f'median {_fmt(med)} > {MM_MEDIAN:g}: millimetres? (set LoadDepth '
            'depth_scale: 1000 for mm PNGs, 256 for KITTI)'
        )
    if hi <= 1.0:
        reasons.append(
            'max <= 1: normalised units? gt_depth must stay in metres'
        )
    graded = [s for s in have if 'top_median' in s['gt_depth']]
    inverted = [
        s
        for s in graded
        if s['gt_depth']['bottom_median']
        > INVERTED_RATIO * s['gt_depth']['top_median']
    ]
    if graded and len(inverted) * 2 > len(graded):
        reasons.append(
            f'values larger at the image bottom than at the top in '
            f'{len(inverted)}/{len(graded)} samples: disparity / inverse '
            'depth?'
        )
    return Check('depth', 'WARN' if reasons else 'OK', text, reasons, values)


def check_depth_valid(samples: List[dict]) -> Check:
    have = _with(samples, 'gt_depth')
    if not have:
        return Check('valid', 'SKIP', 'no gt_depth in the samples')
    ratios = [s['gt_depth']['valid_ratio'] for s in have]
    empty = [s for s in have if s['gt_depth']['valid_ratio'] == 0]
    broken = [
        s
        for s in have
        if s['gt_depth']['nonfinite'] or s['gt_depth']['negative']
    ]
    text = (
        f'valid gt_depth per sample min {_ratio(min(ratios))} mean '
        f'{_ratio(float(np.mean(ratios)))}; {len(empty)} samples without '
        'valid pixels'
    )
    notes = []
    if empty:
        notes.append(f'no valid pixel: {_names(empty)}')
    if broken:
        s = broken[0]['gt_depth']
        notes.append(
            f'NaN/inf or negative depth in {len(broken)} samples, e.g. '
            f'{broken[0]["name"]} ({s["nonfinite"]} NaN/inf, '
            f'{s["negative"]} negative)'
        )
    values = dict(
        min=min(ratios), mean=float(np.mean(ratios)), empty=len(empty)
    )
    return Check('valid', 'FAIL' if notes else 'OK', text, notes, values)


def check_labels(samples: List[dict], classes: Optional[Sequence]) -> Check:
    have = _with(samples, 'gt_sem_seg')
    if not have:
        return Check('labels', 'SKIP', 'no gt_sem_seg in the samples')
    not_int = [s for s in have if s['gt_sem_seg']['dtype'][0] not in 'ui']
    if not_int:
        return Check(
            'labels',
            'FAIL',
            f'label dtype {not_int[0]["gt_sem_seg"]["dtype"]}; expected '
            'integer class ids',
            [_names(not_int)],
        )
    seen = sorted({i for s in have for i in s['gt_sem_seg']['ids']})
    ids = [i for i in seen if i != IGNORE_INDEX]
    ignore = float(np.mean([s['gt_sem_seg']['ignore_ratio'] for s in have]))
    span = f'{ids[0]}..{ids[-1]}' if ids else 'none'
    values = dict(ids=ids, ignore_ratio=ignore, num_classes=len(classes or ()))
    if not classes:
        return Check(
            'labels',
            'WARN',
            f'{len(ids)} ids seen ({span}), ignore {100 * ignore:.1f}%; '
            'the METAINFO has no classes to check them against',
            [],
            values,
        )
    num = len(classes)
    text = (
        f'{len(ids)} ids seen ({span}) of {num} classes, ignore (255) '
        f'{100 * ignore:.1f}% of pixels'
    )
    bad_ids = [i for i in ids if i < 0 or i >= num]
    if bad_ids:
        offending = [
            s for s in have if set(s['gt_sem_seg']['ids']) & set(bad_ids)
        ]
        return Check(
            'labels',
            'FAIL',
            f'ids {bad_ids[:8]} outside 0..{num - 1} (255 = ignore); {text}',
            [f'in {len(offending)} samples: {_names(offending)}'],
            values,
        )
    all_ignored = [s for s in have if s['gt_sem_seg']['ids'] == [255]]
    if all_ignored:
        return Check(
            'labels',
            'WARN',
            f'{text}; {len(all_ignored)} samples fully ignored',
            [_names(all_ignored)],
            values,
        )
    return Check('labels', 'OK', text, [], values)


def check_lr(samples: List[dict], unit: Optional[str] = None) -> Check:
    have = _with(samples, 'lr_depth')
    if not have:
        return Check('lr/hr', 'SKIP', 'no lr_depth in the samples')
    factors, bad_ratio, bad_meta, no_meta = set(), [], [], []
    for s in have:
        h, w = s['lr_depth']['shape'][:2]
        ref = s.get('gt_depth', s.get('img'))
        if ref is None:
            continue
        big_h, big_w = ref['shape'][:2]
        if (
            not h
            or not w
            or big_h % h
            or big_w % w
            or big_h // h != big_w // w
        ):
            bad_ratio.append(s)
            continue
        factor = big_h // h
        factors.add(factor)
        meta_factor = s['meta']['scale_factor']
        if meta_factor is None:
            no_meta.append(s)
        elif np.ndim(meta_factor) or int(meta_factor) != factor:
            bad_meta.append((s, meta_factor, factor))
    if bad_ratio:
        s = bad_ratio[0]
        ref = s.get('gt_depth', s.get('img'))
        return Check(
            'lr/hr',
            'FAIL',
            f'lr_depth is not the HR size / one integer factor in '
            f'{len(bad_ratio)} samples',
            [
                f'{s["name"]}: lr {_shape(s["lr_depth"]["shape"])} vs HR '
                f'{_shape(ref["shape"][:2])}'
            ],
        )
    if bad_meta:
        s, meta_factor, factor = bad_meta[0]
        return Check(
            'lr/hr',
            'FAIL',
            f'scale_factor metainfo disagrees with the sizes in '
            f'{len(bad_meta)} samples',
            [f'{s["name"]}: scale_factor {meta_factor}, sizes give x{factor}'],
        )
    text = 'x' + '/x'.join(str(f) for f in sorted(factors))
    status, notes = 'OK', []
    if no_meta:
        status = 'WARN'
        notes.append(
            f'no scale_factor in the metainfo of {len(no_meta)} samples'
        )
    else:
        text += ' = scale_factor'
    normalised = [s for s in have if s['meta']['depth_norm_max'] is not None]
    lows = [
        s['lr_depth']['min'] for s in have if s['lr_depth']['min'] is not None
    ]
    highs = [
        s['lr_depth']['max'] for s in have if s['lr_depth']['max'] is not None
    ]
    lo = min(lows) if lows else None
    hi = max(highs) if highs else None
    if normalised:
        text += (
            f'; normalised in {len(normalised)}/{len(have)} (depth_norm_max '
            f'{_fmt(min(s["meta"]["depth_norm_max"] for s in normalised))}..'
            f'{_fmt(max(s["meta"]["depth_norm_max"] for s in normalised))})'
            f', lr {_fmt(lo)}..{_fmt(hi)}'
        )
        out = [
            s
            for s in normalised
            if s['lr_depth']['min'] is not None
            and (
                s['lr_depth']['min'] < -NORM_TOL
                or s['lr_depth']['max'] > 1 + NORM_TOL
            )
        ]
        if out:
            s = out[0]
            return Check(
                'lr/hr',
                'FAIL',
                f'normalised lr_depth outside [0, 1] in {len(out)} samples',
                [
                    f'{s["name"]}: lr {_fmt(s["lr_depth"]["min"])}..'
                    f'{_fmt(s["lr_depth"]["max"])}'
                ],
            )
    else:
        text += f'; lr {_fmt(lo)}..{_fmt(hi)}' + (' m' if unit is None else '')
        if (
            hi is not None
            and hi <= 1.0
            and any(
                s.get('gt_depth', {}).get('max') and s['gt_depth']['max'] > 1
                for s in have
            )
        ):
            status = 'WARN'
            notes.append(
                'lr_depth looks normalised but the metainfo has no '
                'depth_norm_max (PackDenseInputs meta_keys?)'
            )
    off = [
        s
        for s in have
        if s.get('gt_depth', {}).get('median')
        and s['lr_depth']['median_denorm']
        and not (
            1 / MEDIAN_RATIO
            <= s['lr_depth']['median_denorm'] / s['gt_depth']['median']
            <= MEDIAN_RATIO
        )
    ]
    if off and not notes:
        status = 'WARN'
        s = off[0]
        notes.append(
            f'lr_depth median (de-normalised) differs from gt_depth by more '
            f'than {MEDIAN_RATIO:g}x in {len(off)} samples, e.g. '
            f'{s["name"]}: {_fmt(s["lr_depth"]["median_denorm"])} vs '
            f'{_fmt(s["gt_depth"]["median"])}'
        )
    return Check('lr/hr', status, text, notes)


def check_normals(samples: List[dict]) -> Check:
    have = _with(samples, 'gt_normal')
    if not have:
        return Check('normals', 'SKIP', 'no gt_normal in the samples')
    bad_shape = [s for s in have if s['gt_normal'].get('bad_shape')]
    if bad_shape:
        return Check(
            'normals',
            'FAIL',
            f'gt_normal is not H x W x 3 in {len(bad_shape)} samples',
            [_names(bad_shape)],
        )
    nonfinite = [s for s in have if s['gt_normal']['nonfinite']]
    not_unit = [s for s in have if s['gt_normal']['max_unit_error'] > UNIT_TOL]
    ratios = [s['gt_normal']['valid_ratio'] for s in have]
    err = max(s['gt_normal']['max_unit_error'] for s in have)
    facing = [
        s['gt_normal']['facing_ratio']
        for s in have
        if 'facing_ratio' in s['gt_normal']
    ]
    text = (
        f'valid per sample min {_ratio(min(ratios))} mean '
        f'{_ratio(float(np.mean(ratios)))}; max ||n|-1| {err:.1e}'
    )
    if facing:
        text += f'; {100 * float(np.mean(facing)):.0f}% face the camera'
    if nonfinite or not_unit:
        notes = []
        if not_unit:
            notes.append(f'not unit length: {_names(not_unit)}')
        if nonfinite:
            notes.append(f'NaN/inf normals: {_names(nonfinite)}')
        return Check('normals', 'FAIL', text, notes)
    if facing and float(np.mean(facing)) < 0.5:
        return Check(
            'normals',
            'WARN',
            text,
            [
                'most normals point away from the camera: sign or axis '
                'convention? (internal: x right, y down, z forward, '
                'towards the camera)'
            ],
        )
    empty = [s for s in have if s['gt_normal']['valid_ratio'] == 0]
    if empty:
        return Check(
            'normals',
            'WARN',
            text,
            [f'{len(empty)} samples without valid normals: {_names(empty)}'],
        )
    return Check('normals', 'OK', text)


def _range(values: Sequence[float]) -> str:
    lo, hi = min(values), max(values)
    return f'{lo:.1f}' if math.isclose(lo, hi) else f'{lo:.1f}-{hi:.1f}'


def principal_point_bounds(stats: dict):
    """Where the principal point may lie in the sample's image.

    Returns ``((u_min, u_max), (v_min, v_max), full)``, with ``full`` the
    ``(H, W)`` of the image the camera saw, or None when nothing bounds it.

    A whole image must hold its principal point: ``-0.5 <= u <= W - 0.5``.
    A patch (``patch_box``) or a crop (``crop_box``) keeps the intrinsics of
    its place in the image it was cut from, so its principal point may lie
    outside it. Cut at ``left`` out of a full width ``Wf``, ``u`` is
    ``u_full - left`` with ``0 <= left <= Wf - w``, and a horizontal flip
    before or after the cut maps that interval onto itself, so
    ``-(Wf - w) - 0.5 <= u <= Wf - 0.5`` holds in any order. ``Wf`` is the
    patch's ``source_shape``; for crops it is unknown and nothing is checked.
    """
    meta = stats['meta']
    ref = stats.get('img', stats.get('gt_depth'))
    if ref is None:
        return None
    h, w = ref['shape'][:2]
    cut = meta['patch_box'] is not None or meta['crop_box'] is not None
    if not cut:
        return (-0.5, w - 0.5), (-0.5, h - 0.5), (h, w)
    full = meta['source_shape'] if meta['patch_box'] is not None else None
    if full is None:
        return None
    full_h, full_w = full
    return (
        (-(full_w - w) - 0.5, full_w - 0.5),
        (-(full_h - h) - 0.5, full_h - 0.5),
        (full_h, full_w),
    )


def check_intrinsics(samples: List[dict]) -> Check:
    have = [s for s in samples if s['meta']['cam_intrinsics'] is not None]
    if not have:
        return Check(
            'intrinsics',
            'WARN' if samples else 'SKIP',
            'no cam_intrinsics in the metainfo (expected whenever the '
            'source defines a camera)',
        )
    if len(have) < len(samples):
        missing = [s for s in samples if s not in have]
        return Check(
            'intrinsics',
            'WARN',
            f'cam_intrinsics missing in {len(missing)} of {len(samples)} '
            'samples',
            [_names(missing)],
        )
    bad = [
        s
        for s in have
        if len(s['meta']['cam_intrinsics']) != 4
        or not all(math.isfinite(v) for v in s['meta']['cam_intrinsics'])
        or min(s['meta']['cam_intrinsics'][:2]) <= 0
    ]
    if bad:
        return Check(
            'intrinsics',
            'FAIL',
            'cam_intrinsics are not 4 finite values with fx, fy > 0',
            [f'{bad[0]["name"]}: {bad[0]["meta"]["cam_intrinsics"]}'],
        )
    outside, odd, fovs, sizes = [], [], [], set()
    for s in have:
        fx, fy, cx, cy = s['meta']['cam_intrinsics']
        if not 0.5 <= fx / fy <= 2:
            odd.append(s)
        bounds = principal_point_bounds(s)
        if bounds is None:
            continue
        (u_min, u_max), (v_min, v_max), (full_h, full_w) = bounds
        if s['meta']['patch_box'] is None:
            sizes.add(f'{full_h}x{full_w}')
        fov = math.degrees(2 * math.atan(full_w / (2 * fx)))
        fovs.append(fov)
        if not 10 <= fov <= 170 and s not in odd:
            odd.append(s)
        if not (u_min <= cx <= u_max and v_min <= cy <= v_max):
            outside.append((s, bounds))
    ks = np.array([s['meta']['cam_intrinsics'] for s in have])
    text = (
        f'fx {_range(ks[:, 0])} fy {_range(ks[:, 1])} cx {_range(ks[:, 2])} '
        f'cy {_range(ks[:, 3])}'
    )
    if any(s['meta']['patch_box'] is not None for s in have):
        text += ' (of the patches)'
    elif any(s['meta']['crop_box'] is not None for s in have):
        text += ' (of the crops: principal point not checked)'
    if sizes:
        text += ' for ' + ', '.join(sorted(sizes)[:2])
        text += ' ...' if len(sizes) > 2 else ''
    if fovs:
        text += f'; HFOV {_range(fovs)} deg'
    if outside:
        s, ((u_min, u_max), (v_min, v_max), _) = outside[0]
        k = ', '.join(f'{v:.1f}' for v in s['meta']['cam_intrinsics'])
        return Check(
            'intrinsics',
            'FAIL',
            f'principal point outside the image in {len(outside)} samples',
            [
                f'{s["name"]}: [{k}]; cx must lie in {u_min:g}..{u_max:g}, '
                f'cy in {v_min:g}..{v_max:g}'
            ],
        )
    if odd:
        return Check(
            'intrinsics',
            'WARN',
            f'{text}; fx/fy or field of view implausible in {len(odd)} '
            'samples',
            [_names(odd)],
        )
    return Check('intrinsics', 'OK', text)


# ----------------------------------------------------------------- report


def describe_dataset(dataset) -> str:
    """``Type(split='val')``, with the wrapped dataset for wrappers."""
    name = type(dataset).__name__
    split = getattr(dataset, 'split', None)
    ann_file = getattr(dataset, 'ann_file', None)
    if isinstance(split, str):
        name += f'(split={split!r})'
    elif isinstance(ann_file, str) and ann_file:
        name += f'(ann_file={osp.basename(ann_file)!r})'
    inner = getattr(dataset, 'dataset', None)
    if inner is not None and hasattr(inner, '__getitem__'):
        name += f' of {describe_dataset(inner)}'
    return name


def _transform_name(transform) -> str:
    name = type(transform).__name__
    args = []
    for attr in SHOWN_ATTRS:
        value = getattr(transform, attr, None)
        if isinstance(value, (int, float, str)) and not isinstance(
            value, bool
        ):
            args.append(f'{attr}={value!r}')
    return f'{name}({", ".join(args)})' if args else name


def describe_pipeline(dataset) -> List[str]:
    """Transform summaries, the wrapped dataset's pipeline first."""
    parts = []
    inner = getattr(dataset, 'dataset', None)
    if inner is not None and hasattr(inner, '__getitem__'):
        parts += describe_pipeline(inner)
    transforms = getattr(getattr(dataset, 'pipeline', None), 'transforms', [])
    parts += [_transform_name(t) for t in transforms]
    return parts


def dataset_metainfo(dataset) -> dict:
    """The metainfo of a dataset or of the dataset it wraps."""
    metainfo = getattr(dataset, 'metainfo', None)
    if metainfo:
        return dict(metainfo)
    inner = getattr(dataset, 'dataset', None)
    return dataset_metainfo(inner) if inner is not None else {}


def _wrap(label: str, text: str, max_lines: int = 2) -> List[str]:
    """``label`` then ``text`` wrapped at ``' > '`` / spaces to WIDTH."""
    indent = ' ' * 11
    lines, current = [], f'{label:<11}'
    for word in text.split(' '):
        if len(current) + len(word) + 1 > WIDTH and current.strip():
            lines.append(current.rstrip())
            current = indent
        current += word + ' '
    lines.append(current.rstrip())
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: WIDTH - 4] + ' ...'
    return lines


def _clip(text: str, width: int) -> str:
    """Shorten in the middle so that file names at the end stay visible."""
    if len(text) <= width:
        return text
    keep = width - 5
    return text[: keep // 2] + ' ... ' + text[-(keep - keep // 2) :]


def _note_lines(note: str, indent: int = 16, max_lines: int = 3) -> List[str]:
    """A note wrapped at spaces to ``max_lines`` lines; words (file paths)
    are never split, so a line may exceed the width for a long path.

    A longer note is shortened in the middle; if its long words still need
    more lines, words after the first are replaced by ``...`` until it
    fits, so that its end (usually the file an error names) stays.
    """
    width = WIDTH - indent

    def wrap(text):
        return textwrap.wrap(
            text, width, break_long_words=False, break_on_hyphens=False
        )

    lines = wrap(note)
    if len(lines) > max_lines:
        lines = wrap(_clip(note, width * max_lines - 10))
    words = note.split()
    start = 1
    while len(lines) > max_lines and start < len(words) - 1:
        start += 1
        lines = wrap(' '.join([words[0], '...', *words[start:]]))
    return [' ' * indent + line for line in lines[:max_lines]]


def format_report(
    header: List[Tuple[str, str]],
    checks: List[Check],
    title: str = 'check_dataset',
) -> str:
    """The one-screen report: title, header lines, one line per check (and
    up to three notes each), the counts."""
    lines = [f'{title} '.ljust(WIDTH, '-')]
    for label, text in header:
        lines += _wrap(label, text)
    lines.append('-' * WIDTH)
    for check in checks:
        first, *rest = _note_lines(check.message, max_lines=2)
        lines.append(f'{check.status:<5}{check.name:<11}{first.lstrip()}')
        lines += rest
        for note in check.notes[:3]:
            lines += _note_lines(note)
        if len(check.notes) > 3:
            lines.append(f'{"":16}(+{len(check.notes) - 3} more)')
    counts = {s: sum(c.status == s for c in checks) for s in ('OK', 'WARN')}
    fails = sum(c.status == 'FAIL' for c in checks)
    lines.append('-' * WIDTH)
    lines.append(
        f'{counts["OK"]} OK, {counts["WARN"]} WARN, {fails} FAIL'
        + (' -> exit status 1' if fails else '')
    )
    return '\n'.join(lines)


def run_checks(
    dataset, indices: Sequence[int]
) -> Tuple[List[Check], List[dict], List[dict]]:
    """Run the pipeline on ``indices`` and every check.

    Returns:
        tuple: The checks, the per-sample statistics and the load errors
        (``dict(idx, name, error)``).
    """
    samples, errors, values = [], [], []
    for idx in indices:
        try:
            fields = read_sample(load_item(dataset, idx))
        except Exception as err:
            errors.append(
                dict(
                    idx=int(idx),
                    name=failed_sample_name(dataset, idx),
                    error=f'{type(err).__name__}: {err}',
                )
            )
            continue
        stats, depth_values = sample_stats(fields, int(idx))
        samples.append(stats)
        values.append(depth_values)
    pooled = np.concatenate(values) if values else np.zeros(0)
    metainfo = dataset_metainfo(dataset)
    classes = metainfo.get('classes')
    unit = depth_unit(metainfo)
    if not samples:
        return (
            [check_load(len(indices), errors)]
            + [Check(name, 'SKIP', 'no sample loaded') for name in CHECKS[1:]],
            samples,
            errors,
        )
    checks = [
        check_load(len(indices), errors),
        check_image(samples),
        check_sizes(samples),
        check_depth_units(samples, pooled, unit),
        check_depth_valid(samples),
        check_labels(samples, classes),
        check_lr(samples, unit),
        check_normals(samples),
        check_intrinsics(samples),
    ]
    return checks, samples, errors


def _header(dataset, indices, samples) -> List[Tuple[str, str]]:
    metainfo = dataset_metainfo(dataset)
    classes = metainfo.get('classes')
    info = f'{describe_dataset(dataset)}, {len(dataset)} samples'
    if classes:
        info += f', {len(classes)} classes'
        info += ' with palette' if metainfo.get('palette') else ' no palette'
    shown = ' '.join(str(i) for i in indices[:8])
    if len(indices) > 8:
        shown += f' ... {indices[-1]}'
    pipeline = describe_pipeline(dataset)
    header = [
        ('dataset', info),
        ('checked', f'{len(indices)} samples: {shown}'),
        ('pipeline', ' > '.join(pipeline) if pipeline else '(none)'),
    ]
    if samples:
        present = []
        for key in ('img', 'gt_depth', 'lr_depth', 'gt_sem_seg', 'gt_normal'):
            n = len(_with(samples, key))
            if n:
                present.append(key if n == len(samples) else f'{key}({n})')
        meta = [
            k for k in SHOWN_META if any(k in s['meta_keys'] for s in samples)
        ]
        header.append(
            (
                'fields',
                ' '.join(present) + ' | meta: ' + (' '.join(meta) or '-'),
            )
        )
    return header


def _json_ready(value):
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def _write_json(path: str, report: dict) -> None:
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(_json_ready(report), f, indent=2)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    register_all_modules(init_default_scope=True)
    key = f'{args.split}_dataloader'
    base = dict(config=args.config, split=args.split)
    try:
        if key not in cfg or 'dataset' not in cfg[key]:
            raise KeyError(f'{args.config} has no `{key}.dataset`.')
        dataset = DATASETS.build(cfg[key]['dataset'])
        length = len(dataset)
    except Exception as err:
        error = f'{type(err).__name__}: {err}'
        print(f'FAIL build: cannot build {key}.dataset: {error}')
        if args.out:
            _write_json(args.out, dict(base, error=error, failed=True))
        return 1
    indices = spread_indices(length, args.num)
    checks, samples, errors = run_checks(dataset, indices)
    header = _header(dataset, indices, samples)
    title = f'check_dataset {args.config} [{args.split}]'
    print(format_report(header, checks, _clip(title, WIDTH - 2)))
    failed = any(c.status == 'FAIL' for c in checks)
    if args.out:
        report = dict(
            base,
            dataset=describe_dataset(dataset),
            length=length,
            indices=list(indices),
            pipeline=describe_pipeline(dataset),
            checks=[asdict(c) for c in checks],
            samples=samples,
            errors=errors,
            failed=failed,
        )
        _write_json(args.out, report)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
