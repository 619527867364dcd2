"""Depth metrics of monocular depth estimation (BTS convention).

The functional core (:func:`crop_window`, :func:`depth_eval_mask`,
:func:`depth_errors`) works on numpy arrays and is what benchmarks and
baselines call directly; :class:`DepthMetric` wraps it for MMEngine's
evaluator. ``docs/metrics.md`` describes every key and how the definitions
differ from mmsegmentation's and the MDE toolbox's.
"""

from typing import Dict, List, Optional, Tuple, Union

import numpy as np

from mmdepthsr.registry import METRICS
from mmdepthsr.structures.protocols import (
    EIGEN_KITTI_CROP_FRACTIONS,
    EIGEN_NYU_CROP,
    GARG_CROP_FRACTIONS,
    NYU_IMAGE_SHAPE,
)

from .base import ArrayLike, BaseDenseMetric, _as_float64

#: Keys returned by :func:`depth_errors` and :class:`DepthMetric`, in order.
DEPTH_METRIC_KEYS = (
    'a1',
    'a2',
    'a3',
    'abs_rel',
    'sq_rel',
    'rmse',
    'rmse_log',
    'log10',
    'silog',
    'sc_inv',
)

#: Crops whose window is a fraction of the ground-truth height and width.
_FRACTION_CROPS = {
    'garg': GARG_CROP_FRACTIONS,
    'eigen_kitti': EIGEN_KITTI_CROP_FRACTIONS,
}

CropType = Union[None, str, Tuple[float, float, float, float]]


def _check_crop(crop: CropType) -> None:
    """Raise a ValueError if ``crop`` is not a known crop specification."""
    if crop is None:
        return
    if isinstance(crop, str):
        if crop == 'eigen_nyu' or crop in _FRACTION_CROPS:
            return
        raise ValueError(
            f'Unknown crop {crop!r}; expected None, "eigen_nyu", "garg", '
            '"eigen_kitti" or a (top, bottom, left, right) tuple of '
            'fractions.'
        )
    if not isinstance(crop, (tuple, list)) or len(crop) != 4:
        raise ValueError(
            'A custom crop must be a (top, bottom, left, right) tuple of '
            f'fractions of the ground-truth height/width, got {crop!r}.'
        )
    top, bottom, left, right = (float(c) for c in crop)
    if not (0.0 <= top < bottom <= 1.0 and 0.0 <= left < right <= 1.0):
        raise ValueError(
            'A custom crop (top, bottom, left, right) needs fractions with '
            f'0 <= top < bottom <= 1 and 0 <= left < right <= 1, got {crop!r}.'
        )


def crop_window(
    crop: CropType, gt_shape: Tuple[int, int]
) -> Optional[Tuple[int, int, int, int]]:
    """Pixel window ``(top, bottom, left, right)`` of an evaluation crop.

    The window is half-open and 0-based: rows ``top:bottom`` and columns
    ``left:right`` are kept.

    - ``'eigen_nyu'``: the absolute window ``EIGEN_NYU_CROP`` (rows 45:471,
      cols 41:601), defined only for 480 x 640 ground truth.
    - ``'garg'``, ``'eigen_kitti'`` and custom tuples: fractions of the
      ground-truth height ``H`` (top, bottom) and width ``W`` (left,
      right), each turned into a pixel index with ``int()`` (truncation
      towards zero, as BTS does), e.g. Garg on 375 x 1242 gives
      ``(int(0.40810811 * 375), int(0.99189189 * 375),
      int(0.03594771 * 1242), int(0.96405229 * 1242)) = (153, 371, 44,
      1197)``.

    Args:
        crop (None | str | tuple): The crop specification.
        gt_shape (tuple[int, int]): Ground-truth ``(H, W)``.

    Returns:
        tuple[int, int, int, int] | None: The window, or None for no crop.
    """
    _check_crop(crop)
    height, width = (int(s) for s in gt_shape)
    if crop is None:
        return None
    if crop == 'eigen_nyu':
        if (height, width) != tuple(NYU_IMAGE_SHAPE):
            raise ValueError(
                'The "eigen_nyu" crop is an absolute window of the '
                f'{NYU_IMAGE_SHAPE[0]} x {NYU_IMAGE_SHAPE[1]} NYU ground '
                f'truth, but the ground truth is {height} x {width}; '
                'evaluate at the original resolution or pick another crop.'
            )
        return tuple(int(c) for c in EIGEN_NYU_CROP)
    fractions = _FRACTION_CROPS[crop] if isinstance(crop, str) else crop
    top, bottom, left, right = (float(f) for f in fractions)
    return (
        int(top * height),
        int(bottom * height),
        int(left * width),
        int(right * width),
    )


def depth_eval_mask(
    gt: np.ndarray,
    min_depth: float = 1e-3,
    max_depth: float = 10.0,
    crop: CropType = None,
) -> np.ndarray:
    """Boolean mask of the ground-truth pixels that are evaluated.

    ``valid = (gt > min_depth) & (gt < max_depth) & crop``; both caps are
    strict, so a pixel at exactly ``max_depth`` is left out (BTS). The caps
    are cast to the dtype of ``gt`` before comparing, so a float32 map
    behaves as in BTS's float32 evaluation.

    Args:
        gt (np.ndarray): Ground-truth depth in metres, shape ``(H, W)``.
        min_depth (float): Lower cap in metres (exclusive).
        max_depth (float): Upper cap in metres (exclusive).
        crop (None | str | tuple): See :func:`crop_window`.

    Returns:
        np.ndarray: Boolean mask of shape ``(H, W)``.
    """
    gt = np.asarray(gt)
    if gt.ndim != 2:
        raise ValueError(
            f'depth_eval_mask expects an (H, W) map, got shape {gt.shape}.'
        )
    if not np.issubdtype(gt.dtype, np.floating):
        gt = gt.astype(np.float64)
    # Compare in the ground truth's own dtype, as BTS's numpy code does: a
    # float32 pixel stored as 1e-3 equals the float32 cap and is left out.
    low = np.asarray(min_depth, dtype=gt.dtype)
    high = np.asarray(max_depth, dtype=gt.dtype)
    mask = (gt > low) & (gt < high)
    window = crop_window(crop, gt.shape)
    if window is not None:
        top, bottom, left, right = window
        crop_mask = np.zeros_like(mask)
        crop_mask[top:bottom, left:right] = True
        mask &= crop_mask
    return mask


def depth_errors(pred: ArrayLike, gt: ArrayLike) -> Dict[str, float]:
    """Depth errors of one image, over its valid pixels.

    With ``d = ln(pred) - ln(gt)`` and ``thresh = max(gt / pred, pred /
    gt)``:

    - ``a1, a2, a3``: fraction of pixels with ``thresh < 1.25, 1.25**2,
      1.25**3``
    - ``abs_rel = mean(|gt - pred| / gt)``, ``sq_rel = mean((gt - pred)**2
      / gt)``
    - ``rmse = sqrt(mean((gt - pred)**2))`` (metres),
      ``rmse_log = sqrt(mean(d**2))``, ``log10 = mean(|log10 gt - log10
      pred|)``
    - ``sc_inv = sqrt(mean(d**2) - mean(d)**2)`` and ``silog = 100 *
      sc_inv`` (BTS / MDE toolbox scale, lambda = 1). The variance is
      clamped at 0 before the square root so that a perfectly scaled
      prediction gives 0 rather than NaN from rounding.

    Everything is computed in float64.

    Args:
        pred (np.ndarray | torch.Tensor): Predicted depth of the valid
            pixels, shape ``(N,)``, metres, all finite and > 0.
        gt (np.ndarray | torch.Tensor): Ground-truth depth of the same
            pixels, shape ``(N,)``, metres, all finite and > 0.

    Returns:
        dict[str, float]: The keys of :data:`DEPTH_METRIC_KEYS`.
    """
    pred = _as_float64(pred).reshape(-1)
    gt = _as_float64(gt).reshape(-1)
    if pred.shape != gt.shape:
        raise ValueError(
            f'depth_errors needs as many predicted as ground-truth pixels, '
            f'got {pred.shape[0]} and {gt.shape[0]}.'
        )
    if pred.size == 0:
        raise ValueError('depth_errors got no valid pixel.')
    for name, values in (('pred', pred), ('gt', gt)):
        if not np.all(np.isfinite(values)) or np.any(values <= 0):
            raise ValueError(
                f'depth_errors needs finite, positive {name} depths; got '
                f'{int(np.sum(~np.isfinite(values)))} non-finite and '
                f'{int(np.sum(values <= 0))} non-positive values.'
            )

    thresh = np.maximum(gt / pred, pred / gt)
    diff = gt - pred
    log_diff = np.log(pred) - np.log(gt)
    variance = max(np.mean(log_diff**2) - np.mean(log_diff) ** 2, 0.0)
    sc_inv = float(np.sqrt(variance))
    return dict(
        a1=float(np.mean(thresh < 1.25)),
        a2=float(np.mean(thresh < 1.25**2)),
        a3=float(np.mean(thresh < 1.25**3)),
        abs_rel=float(np.mean(np.abs(diff) / gt)),
        sq_rel=float(np.mean(diff**2 / gt)),
        rmse=float(np.sqrt(np.mean(diff**2))),
        rmse_log=float(np.sqrt(np.mean(log_diff**2))),
        log10=float(np.mean(np.abs(np.log10(gt) - np.log10(pred)))),
        silog=100.0 * sc_inv,
        sc_inv=sc_inv,
    )


@METRICS.register_module()
class DepthMetric(BaseDenseMetric):
    """Monocular depth metrics, per image then averaged over images (BTS).

    For each image, the evaluated pixels are ``(gt > min_depth) & (gt <
    max_depth)`` (strict, so ``gt == max_depth`` is left out) inside the
    crop window; :func:`depth_errors` gives the ten metrics on those
    pixels, and :meth:`compute_metrics` returns their arithmetic mean over
    the images. Predictions are clamped to ``[min_depth, max_depth]``
    first when ``clip_pred`` is True (as BTS and monodepth2 do; the MDE
    toolbox and mmsegmentation do not clamp, so pass ``clip_pred=False``
    to compare with them).

    Bad input raises a ValueError naming the sample's ``img_path``: a NaN
    or inf anywhere in the prediction or the ground truth, a prediction
    whose ``H x W`` differs from the ground truth's, a non-positive
    prediction on a valid pixel when ``clip_pred=False``, (with
    ``on_empty='error'``) an image without a valid pixel, and an
    evaluation window (the crop, or the whole map for ``crop=None``) that
    leaves the sample's ``gt_crop_box``, the part of the ground truth a
    pasted prediction covers (``KBCrop(crop_gt=False)``).

    Keys: ``a1 a2 a3 abs_rel sq_rel rmse rmse_log log10 silog sc_inv``
    (see :func:`depth_errors`). ``default_prefix`` is empty, so the keys
    are plain (``abs_rel``, not ``depth/abs_rel``); set ``prefix`` when
    the evaluator holds another metric with the same key names (e.g.
    ``rmse`` of ``SRMetric``), otherwise MMEngine's evaluator refuses the
    duplicate keys.

    Args:
        pred_key (str): Field of the sample holding the prediction, a
            ``(1, H, W)`` map in metres. Defaults to ``'pred_depth'``.
        gt_key (str): Field holding the ground truth, ``(1, H, W)`` metres,
            0 = invalid. Defaults to ``'gt_depth'``.
        min_depth (float): Lower cap in metres (exclusive). Defaults to
            1e-3.
        max_depth (float): Upper cap in metres (exclusive). Defaults to
            10.0 (NYU; use 80.0 for KITTI).
        crop (None | str | tuple): None, ``'eigen_nyu'`` (rows 45:471, cols
            41:601 of 480 x 640 ground truth), ``'garg'``, ``'eigen_kitti'``
            or a ``(top, bottom, left, right)`` tuple of fractions of the
            ground-truth height/width (pixel index = ``int(fraction *
            size)``). See :func:`crop_window`. Defaults to None.
        clip_pred (bool): Clamp predictions to ``[min_depth, max_depth]``
            before computing the errors. Defaults to True.
        on_empty (str): What to do with an image that has no valid pixel:
            ``'error'`` raises, ``'skip'`` leaves it out of the average and
            logs a warning with the number of skipped images. Defaults to
            ``'error'``.
        collect_device (str): Device used to collect results across ranks,
            ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix added as ``prefix/key`` to every
            key. Defaults to None (plain keys).
        output_file (str, optional): Path of a JSON file that receives the
            metrics, the protocol, the number of images and the per-image
            metrics. Written by the main process only. Defaults to None.
        collect_dir (str, optional): Directory used to collect results
            across ranks when ``collect_device='cpu'``. Defaults to None.
    """

    results_name = 'Depth metrics'
    higher_is_better = {
        key: key in ('a1', 'a2', 'a3') for key in DEPTH_METRIC_KEYS
    }

    def __init__(
        self,
        pred_key: str = 'pred_depth',
        gt_key: str = 'gt_depth',
        min_depth: float = 1e-3,
        max_depth: float = 10.0,
        crop: CropType = None,
        clip_pred: bool = True,
        on_empty: str = 'error',
        collect_device: str = 'cpu',
        prefix: Optional[str] = None,
        output_file: Optional[str] = None,
        collect_dir: Optional[str] = None,
    ) -> None:
        super().__init__(
            pred_key=pred_key,
            gt_key=gt_key,
            output_file=output_file,
            collect_device=collect_device,
            prefix=prefix,
            collect_dir=collect_dir,
        )
        if not 0 < min_depth < max_depth:
            raise ValueError(
                'DepthMetric needs 0 < min_depth < max_depth, got '
                f'min_depth={min_depth}, max_depth={max_depth}.'
            )
        self.on_empty = self.check_on_empty(on_empty)
        _check_crop(crop)
        self.min_depth = float(min_depth)
        self.max_depth = float(max_depth)
        self.crop = tuple(crop) if isinstance(crop, list) else crop
        self.clip_pred = clip_pred
        self._windows_seen: Dict[str, List[int]] = {}
        self._boxes_seen: Dict[str, List[int]] = {}

    @property
    def protocol(self) -> dict:
        """The evaluation protocol, written next to every result.

        ``crop_windows`` maps ``'HxW'`` to the ``[top, bottom, left,
        right]`` pixel window: fixed for ``'eigen_nyu'``; for fraction
        crops, the windows of the ground-truth sizes seen by the last
        :meth:`compute_metrics`. ``pasted_prediction_boxes`` maps ``'HxW'``
        to the ``gt_crop_box`` ``[top, bottom, left, right]`` of predictions
        pasted into a zero canvas (BTS KITTI convention), empty otherwise.
        """
        if self.crop is None:
            crop_name, fractions = None, None
        elif self.crop == 'eigen_nyu':
            crop_name, fractions = 'eigen_nyu', None
        elif isinstance(self.crop, str):
            crop_name, fractions = self.crop, _FRACTION_CROPS[self.crop]
        else:
            crop_name, fractions = 'custom', self.crop
        if crop_name == 'eigen_nyu':
            windows = {
                '{}x{}'.format(*NYU_IMAGE_SHAPE): list(EIGEN_NYU_CROP),
            }
        else:
            windows = dict(self._windows_seen)
        return dict(
            crop=crop_name,
            crop_fractions=None if fractions is None else list(fractions),
            crop_windows=windows,
            crop_rounding=(
                'fractions of the GT height/width -> int() truncation; '
                'windows are 0-based, half-open [top:bottom, left:right]'
            ),
            min_depth=self.min_depth,
            max_depth=self.max_depth,
            valid_mask='min_depth < gt < max_depth (strict) & crop',
            clip_pred=self.clip_pred,
            on_empty=self.on_empty,
            averaging='per-image mean',
            silog='100 * sqrt(mean(d^2) - mean(d)^2), d = ln(pred) - ln(gt)',
            sc_inv='sqrt(mean(d^2) - mean(d)^2), d = ln(pred) - ln(gt)',
            units='metres',
            pred_key=self.pred_key,
            gt_key=self.gt_key,
            pasted_prediction_boxes=dict(self._boxes_seen),
        )

    def _process_one(self, sample: dict) -> dict:
        """Per-image record: name, shape, valid count and metrics."""
        name = self.sample_name(sample)
        pred, gt = self.read_pair(sample, name, 'depth metrics')
        box = sample.get('gt_crop_box')
        if box is not None:
            box = self._check_window_in_box(name, gt.shape, box)
        mask = depth_eval_mask(gt, self.min_depth, self.max_depth, self.crop)
        record = dict(
            img_path=name,
            gt_shape=list(gt.shape),
            num_valid=int(mask.sum()),
        )
        if box is not None:
            record['gt_crop_box'] = box
        if record['num_valid'] == 0:
            return self.skip_or_raise(
                record,
                f'{name}: no valid {self.gt_key} pixel (need '
                f'{self.min_depth} < gt < {self.max_depth} inside crop '
                f'{self.crop!r})',
            )

        pred_valid = pred[mask].astype(np.float64)
        if self.clip_pred:
            pred_valid = np.clip(pred_valid, self.min_depth, self.max_depth)
        elif np.any(pred_valid <= 0):
            raise ValueError(
                f'{name}: {int(np.sum(pred_valid <= 0))} valid pixel(s) of '
                f'{self.pred_key} are <= 0 and clip_pred=False; the log '
                'metrics are undefined.'
            )
        record['skipped'] = False
        record['metrics'] = depth_errors(pred_valid, gt[mask])
        return record

    def _check_window_in_box(
        self, name: str, gt_shape: Tuple[int, int], box
    ) -> List[int]:
        """The evaluation window must lie inside ``gt_crop_box``.

        A prediction pasted into a zero canvas (BTS KITTI convention, see
        ``KBCrop(crop_gt=False)``) has no value outside the box; evaluating
        there would score the zeros (clamped to ``min_depth``) as
        predictions.
        """
        top, bottom, left, right = (int(b) for b in box)
        window = crop_window(self.crop, gt_shape)
        if window is None:
            window = (0, int(gt_shape[0]), 0, int(gt_shape[1]))
        w_top, w_bottom, w_left, w_right = window
        if not (
            top <= w_top
            and w_bottom <= bottom
            and left <= w_left
            and w_right <= right
        ):
            raise ValueError(
                f'{name}: the prediction covers only rows {top}:{bottom}, '
                f'cols {left}:{right} of the {gt_shape[0]} x {gt_shape[1]} '
                'ground truth (gt_crop_box; it was pasted into a zero '
                f'canvas), but crop={self.crop!r} evaluates rows '
                f'{w_top}:{w_bottom}, cols {w_left}:{w_right}; refusing to '
                'score pixels without a prediction. Use crop="garg" or '
                '"eigen_kitti" (inside the KB crop for every KITTI size), '
                'or KBCrop(crop_gt=True) to crop the ground truth too.'
            )
        return [top, bottom, left, right]

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Average the per-image metrics over the images.

        Args:
            results (list[dict]): Per-image records from :meth:`process`,
                gathered from every rank.

        Returns:
            dict[str, float]: Mean of each key of :data:`DEPTH_METRIC_KEYS`
            over the evaluated images.
        """
        evaluated, skipped = self.split_skipped(results)
        if self.crop not in (None, 'eigen_nyu'):
            self._windows_seen = {
                '{}x{}'.format(*r['gt_shape']): list(
                    crop_window(self.crop, r['gt_shape'])
                )
                for r in evaluated
            }
        self._boxes_seen = {
            '{}x{}'.format(*r['gt_shape']): r['gt_crop_box']
            for r in evaluated
            if 'gt_crop_box' in r
        }
        metrics = self.mean_over_images(evaluated, DEPTH_METRIC_KEYS)
        self.log_summary(
            'Depth metrics',
            dict(images=len(evaluated), skipped=len(skipped)),
            metrics,
        )
        self.write_per_image_output(metrics, evaluated, skipped)
        return metrics


__all__ = [
    'DEPTH_METRIC_KEYS',
    'DepthMetric',
    'crop_window',
    'depth_errors',
    'depth_eval_mask',
]
