"""The figure of one predicted sample: inputs, every predicted field, the
ground truth and the errors, with colour bars and a class legend."""

from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np
import torch

from mmdepthsr.structures.depth_norm import denormalize_with_meta

from .depth_vis import (
    colorize_depth,
    colorize_error,
    colorize_labels,
    colorize_normals,
)
from .figure import ColorBar, Legend, Panel, PanelFigure, PanelRow

#: Predicted fields a figure shows, in figure order, and their titles.
PRED_TITLES = dict(
    pred_sr_depth='SR depth',
    pred_depth='monocular depth',
    pred_sem_seg='segmentation',
    pred_normal='normals',
)

#: The ground-truth field of each predicted field.
PRED_TO_GT = dict(
    pred_sr_depth='gt_depth',
    pred_depth='gt_depth',
    pred_sem_seg='gt_sem_seg',
    pred_normal='gt_normal',
)

DEPTH_FIELDS = ('pred_sr_depth', 'pred_depth')

#: Colours of the segmentation error map (RGB): right, wrong, ignored.
SEG_RIGHT, SEG_WRONG, SEG_IGNORED = (255, 255, 255), (255, 0, 0), (0, 0, 0)

#: Angular error (degrees) drawn with the last colour of the normal error
#: map.
NORMAL_ERROR_VMAX_DEG = 45.0

#: ``depth_unit`` metainfo values that mean metres.
METRE_NAMES = ('m', 'metre', 'metres', 'meter', 'meters')

DEPTH_CMAP = 'magma'
ERROR_CMAP = 'turbo'


def depth_unit_label(unit: Optional[str] = None) -> str:
    """The colour-bar label of depth maps in ``unit``.

    Args:
        unit (str, optional): A dataset's ``depth_unit`` metainfo; None
            (the toolbox convention) or a name of the metre means metres.

    Returns:
        str: ``'depth (m)'`` for metres, else the unit up to its first
        comma or parenthesis (``'8-bit disparity grey levels'`` for
        Middlebury's ``'8-bit disparity grey levels (0..255), not
        metres'``).
    """
    if unit is None or str(unit).strip().lower() in METRE_NAMES:
        return 'depth (m)'
    return str(unit).split(',')[0].split(' (')[0].strip()


def _to_numpy(data) -> np.ndarray:
    if isinstance(data, torch.Tensor):
        data = data.detach().float().cpu().numpy()
    return np.asarray(data)


def _field(sample, key: str) -> Optional[np.ndarray]:
    if key not in sample:
        return None
    return _to_numpy(getattr(sample, key).data)


def _valid_depth(depth: np.ndarray) -> np.ndarray:
    return depth[np.isfinite(depth) & (depth > 0)]


def _depth_range(maps: Sequence[np.ndarray]) -> tuple:
    """Smallest and largest valid value of the first map that has one."""
    for depth in maps:
        valid = _valid_depth(depth)
        if valid.size:
            low, high = float(valid.min()), float(valid.max())
            return low, max(high, low + 1e-6)
    return 0.0, 1.0


def sample_figure(
    sample,
    rgb: np.ndarray,
    fields: Optional[Sequence[str]] = None,
    palette: Optional[Sequence] = None,
    classes: Optional[Sequence[str]] = None,
    depth_unit: Optional[str] = None,
    ignore_index: int = 255,
) -> PanelFigure:
    """Lay out the predictions of one sample.

    Rows (each only when it has something to show; without depth, ``RGB``
    opens the first row):

    1. ``RGB``, ``LR depth (lr_depth)`` (a DSR input, upsampled nearest
       neighbour to the prediction's size and brought back to metres when
       the pipeline normalised it), every predicted depth (``SR depth
       (pred_sr_depth)``, ``monocular depth (pred_depth)``) and ``ground
       truth (gt_depth)``; all depth panels share one colour scale (the
       ground truth's valid range, else the first prediction's) and one
       :class:`ColorBar` labelled :func:`depth_unit_label`;
    2. ``|pred - gt|`` of each predicted depth under it, one shared error
       scale (0 to the largest error);
    3. ``segmentation (pred_sem_seg)``, its ground truth and an error map
       (white right, red wrong, black ignored), with a :class:`Legend` of
       the classes present in the prediction or the ground truth (palette
       colours, ``classes`` names);
    4. ``normals (pred_normal)`` (``(n + 1) / 2`` as RGB), the ground truth
       and the angle between them (0-45 degrees colour bar).

    Args:
        sample (DenseDataSample): Predictions (``pred_*``), and optionally
            ``gt_*`` and ``lr_depth``, each ``(C, H, W)``.
        rgb (np.ndarray): ``(H, W, 3)`` uint8 RGB input at the prediction
            size.
        fields (Sequence[str], optional): Predicted fields to draw, a
            subset of :data:`PRED_TITLES`. Defaults to every one the sample
            has.
        palette (Sequence, optional): One RGB colour per class; needed for
            segmentation.
        classes (Sequence[str], optional): Class names (legend); ids are
            shown where missing.
        depth_unit (str, optional): The dataset's ``depth_unit``; None
            means metres.
        ignore_index (int): Label id of ignored pixels. Defaults to 255.

    Returns:
        PanelFigure: The layout (render with :func:`render_figure`).

    Raises:
        KeyError: If a requested field is missing, or none is present.
        ValueError: If a ground truth has another size than its
            prediction, or segmentation is drawn without a palette.
    """
    name = sample.metainfo.get('img_path', 'the sample')
    if fields is None:
        fields = [key for key in PRED_TITLES if key in sample]
        if not fields:
            raise KeyError(
                f'{name}: the model output has none of the fields '
                f'{list(PRED_TITLES)}.'
            )
    for key in fields:
        if key not in PRED_TITLES:
            raise KeyError(
                f'{key!r} cannot be drawn; expected one of '
                f'{list(PRED_TITLES)}.'
            )
        if key not in sample:
            raise KeyError(f'The model output of {name} has no `{key}`.')
    preds: Dict[str, np.ndarray] = {key: _field(sample, key) for key in fields}
    size = preds[fields[0]].shape[-2:]
    for key, pred in preds.items():
        gt = _field(sample, PRED_TO_GT[key])
        if gt is not None and gt.shape[-2:] != pred.shape[-2:]:
            raise ValueError(
                f'{name}: {key} is {pred.shape[-2:]} but '
                f'{PRED_TO_GT[key]} is {gt.shape[-2:]}.'
            )
    figure = PanelFigure()
    figure.rows += _depth_rows(sample, rgb, preds, size, depth_unit)
    if 'pred_sem_seg' in preds:
        figure.rows.append(
            _seg_row(
                preds['pred_sem_seg'],
                _field(sample, 'gt_sem_seg'),
                palette,
                classes,
                ignore_index,
                name,
            )
        )
    if 'pred_normal' in preds:
        figure.rows.append(
            _normal_row(preds['pred_normal'], _field(sample, 'gt_normal'))
        )
    first = figure.rows[0]
    if len(first.panels) == 1 and len(figure.rows) > 1:
        # No depth to show: RGB opens the next row.
        figure.rows[1].panels.insert(0, first.panels[0])
        del figure.rows[0]
    return figure


def _depth_rows(sample, rgb, preds, size, depth_unit) -> List[PanelRow]:
    height, width = (int(s) for s in size)
    depth_keys = [key for key in DEPTH_FIELDS if key in preds]
    gt = _field(sample, 'gt_depth') if depth_keys else None
    gt = None if gt is None else gt[0]
    lr = _field(sample, 'lr_depth')
    if lr is not None:
        lr = denormalize_with_meta(lr[0], sample.metainfo)
        lr = cv2.resize(
            lr.astype(np.float32),
            (width, height),
            interpolation=cv2.INTER_NEAREST,
        )
    maps = [m for m in [gt] if m is not None]
    maps += [preds[key][0] for key in depth_keys]
    maps += [lr] if lr is not None else []
    vmin, vmax = _depth_range(maps)

    def depth_panel(title, depth, key):
        return Panel(
            title=title,
            image=colorize_depth(depth, vmin, vmax, DEPTH_CMAP),
            field=key,
            kind='depth',
            value_range=(vmin, vmax),
        )

    panels = [Panel('RGB', rgb, None, 'rgb')]
    if lr is not None:
        panels.append(depth_panel('LR depth (lr_depth)', lr, 'lr_depth'))
    for key in depth_keys:
        title = f'{PRED_TITLES[key]} ({key})'
        panels.append(depth_panel(title, preds[key][0], key))
    if gt is not None:
        panels.append(depth_panel('ground truth (gt_depth)', gt, 'gt_depth'))
    has_depth = len(panels) > 1
    label = depth_unit_label(depth_unit)
    rows = [
        PanelRow(
            panels,
            ColorBar(vmin, vmax, label, DEPTH_CMAP) if has_depth else None,
        )
    ]
    if gt is None or not depth_keys:
        return rows
    valid = np.isfinite(gt) & (gt > 0)
    errors = {}
    for key in depth_keys:
        pred = preds[key][0]
        ok = valid & np.isfinite(pred)
        errors[key] = np.where(ok, np.abs(pred - gt), 0.0)
    emax = max(float(e.max()) for e in errors.values()) or 1.0
    unit = 'm' if label == 'depth (m)' else label
    error_panels = [None] * (2 if lr is not None else 1)
    for key in depth_keys:
        error_panels.append(
            Panel(
                title=f'{PRED_TITLES[key]} error',
                image=colorize_error(preds[key][0], gt, emax, ERROR_CMAP),
                field=None,
                kind='error',
                value_range=(0.0, emax),
            )
        )
    rows.append(
        PanelRow(
            error_panels, ColorBar(0.0, emax, f'|error| ({unit})', ERROR_CMAP)
        )
    )
    return rows


def _labels_present(labels: np.ndarray) -> set:
    """The ids in a label map (a histogram: faster than a sort)."""
    labels = labels.ravel()
    low = int(labels.min())
    counts = np.bincount(labels - low)
    return {int(i) + low for i in np.flatnonzero(counts)}


def _seg_row(pred, gt, palette, classes, ignore_index, name) -> PanelRow:
    if palette is None:
        raise ValueError(
            f"{name}: drawing pred_sem_seg needs a 'palette' in the "
            "dataset's metainfo."
        )
    pred = pred.astype(np.int64)
    panels = [
        Panel(
            'segmentation (pred_sem_seg)',
            colorize_labels(pred, palette, ignore_index),
            'pred_sem_seg',
            'labels',
        )
    ]
    present = _labels_present(pred)
    if gt is not None:
        gt = gt.astype(np.int64)
        present |= _labels_present(gt)
        right = pred[0] == gt[0]
        error = np.empty((*right.shape, 3), np.uint8)
        error[right] = SEG_RIGHT
        error[~right] = SEG_WRONG
        error[gt[0] == ignore_index] = SEG_IGNORED
        panels += [
            Panel(
                'ground truth (gt_sem_seg)',
                colorize_labels(gt, palette, ignore_index),
                'gt_sem_seg',
                'labels',
            ),
            Panel('segmentation errors (red)', error, None, 'error'),
        ]
    present.discard(ignore_index)
    table = np.asarray(palette, dtype=np.uint8).reshape(-1, 3)
    entries = []
    for class_id in sorted(present):
        label = (
            str(classes[class_id])
            if classes is not None and class_id < len(classes)
            else str(class_id)
        )
        entries.append(
            (class_id, label, tuple(int(c) for c in table[class_id]))
        )
    return PanelRow(panels, Legend(entries))


def _normal_row(pred, gt) -> PanelRow:
    panels = [
        Panel(
            'normals (pred_normal)',
            colorize_normals(pred),
            'pred_normal',
            'normals',
        )
    ]
    if gt is None:
        return PanelRow(panels)
    valid = np.any(gt != 0, axis=0)
    norm = np.linalg.norm(pred, axis=0) * np.linalg.norm(gt, axis=0)
    cos = np.sum(pred * gt, axis=0) / np.maximum(norm, 1e-12)
    angle = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
    # colorize_error draws |pred - gt| and blacks out gt <= 0: give it the
    # angle against a unit "ground truth" on valid pixels.
    error = colorize_error(
        angle + 1.0,
        valid.astype(np.float32),
        vmax=NORMAL_ERROR_VMAX_DEG,
        cmap=ERROR_CMAP,
    )
    panels += [
        Panel(
            'ground truth (gt_normal)',
            colorize_normals(gt),
            'gt_normal',
            'normals',
        ),
        Panel(
            'normal error',
            error,
            None,
            'angle',
            (0.0, NORMAL_ERROR_VMAX_DEG),
        ),
    ]
    bar = ColorBar(0.0, NORMAL_ERROR_VMAX_DEG, 'angle (deg)', ERROR_CMAP)
    return PanelRow(panels, bar)
