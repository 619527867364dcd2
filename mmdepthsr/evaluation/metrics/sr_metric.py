"""Depth super-resolution metrics: RMSE and MAD per image.

Two protocols of the guided DSR literature are covered by the arguments:

- NYU v2 (DKN cvlab-yonsei/dkn, DCTNet, SGNet yanzq95/SGNet): per-image
  RMSE in centimetres of the de-normalised prediction, on the image with a
  6-pixel border removed on every side, averaged over the 449 test images:
  ``SRMetric(border=6, unit='cm')``.
- Middlebury 2005 (PMBANet, Ye et al., TIP 2020, Sunbaoli/PMBANet_DSR
  ``Results/mad_rmse.py``): RMSE and MAD on the 8-bit 0..255 scale of the
  saved 8-bit PNG predictions, whole image, averaged over the six scenes:
  ``SRMetric(border=0, unit='raw', quantize='uint8')``.
- Middlebury (30 pairs) and Lu (6 pairs) of DKN / FDSR / DCTNet: RMSE in
  grey levels of the de-normalised prediction and the ground truth, both
  clipped to [0, 255], every pixel, no border:
  ``SRMetric(border=0, unit='raw', valid='all', clip=(0, 255))``; RGB-D-D
  (405 pairs): RMSE in cm, every pixel, no border:
  ``SRMetric(border=0, unit='cm', valid='all')``.

The functional core (:func:`sr_eval_mask`, :func:`sr_errors`) works on
numpy arrays; :class:`SRMetric` wraps it for MMEngine's evaluator in the
same way as :class:`~mmdepthsr.evaluation.metrics.depth_metric.DepthMetric`.
"""

from typing import Dict, Optional, Sequence

import numpy as np

from mmdepthsr.registry import METRICS

from .base import ArrayLike, BaseDenseMetric, _as_float64

#: Keys returned by :func:`sr_errors` and :class:`SRMetric`, in order.
SR_METRIC_KEYS = ('rmse', 'mad')

#: Factor that turns a map into the reported unit. Maps are metres except
#: for ``'raw'`` (no conversion, e.g. 8-bit Middlebury grey levels).
SR_UNIT_FACTORS = dict(m=1.0, cm=100.0, mm=1000.0, raw=1.0)

#: Pixel selection rules of :func:`sr_eval_mask`.
SR_VALID_RULES = ('gt>0', 'all')

_QUANTIZE = (None, 'uint8')


def sr_eval_mask(
    gt: np.ndarray, border: int = 6, valid: str = 'gt>0'
) -> np.ndarray:
    """Boolean mask of the evaluated pixels of one image.

    The ``border`` outermost rows and columns on every side are left out
    (``gt[b:H-b, b:W-b]`` is kept, as DKN / SGNet's ``a[6:-6, 6:-6]``);
    inside, ``valid='gt>0'`` keeps the pixels with ``gt > 0`` and
    ``valid='all'`` every pixel.

    Args:
        gt (np.ndarray): Ground truth, shape ``(H, W)``.
        border (int): Pixels removed on every side. Defaults to 6.
        valid (str): ``'gt>0'`` or ``'all'``. Defaults to ``'gt>0'``.

    Returns:
        np.ndarray: Boolean mask of shape ``(H, W)``.

    Raises:
        ValueError: If ``2 * border`` is not smaller than ``H`` and ``W``.
    """
    gt = np.asarray(gt)
    if gt.ndim != 2:
        raise ValueError(
            f'sr_eval_mask expects an (H, W) map, got shape {gt.shape}.'
        )
    if valid not in SR_VALID_RULES:
        raise ValueError(
            f'valid must be one of {SR_VALID_RULES}, got {valid!r}.'
        )
    height, width = gt.shape
    if 2 * border >= min(height, width):
        raise ValueError(
            f'A border of {border} px on every side leaves nothing of a '
            f'{height} x {width} map.'
        )
    mask = gt > 0 if valid == 'gt>0' else np.ones(gt.shape, dtype=bool)
    inside = np.zeros_like(mask)
    inside[border : height - border, border : width - border] = True
    return mask & inside


def sr_errors(
    pred: ArrayLike, gt: ArrayLike, factor: float = 1.0
) -> Dict[str, float]:
    """RMSE and MAD of one image over the given pixels.

    ``rmse = sqrt(mean((factor * (gt - pred))**2))`` and ``mad =
    mean(|factor * (gt - pred)|)`` (mean absolute difference), in float64.

    Args:
        pred (np.ndarray | torch.Tensor): Prediction of the evaluated
            pixels, shape ``(N,)``.
        gt (np.ndarray | torch.Tensor): Ground truth of the same pixels.
        factor (float): Unit conversion factor, e.g. 100 for metres ->
            centimetres. Defaults to 1.

    Returns:
        dict[str, float]: ``rmse`` and ``mad``.
    """
    pred = _as_float64(pred).reshape(-1)
    gt = _as_float64(gt).reshape(-1)
    if pred.shape != gt.shape:
        raise ValueError(
            'sr_errors needs as many predicted as ground-truth pixels, got '
            f'{pred.shape[0]} and {gt.shape[0]}.'
        )
    if pred.size == 0:
        raise ValueError('sr_errors got no pixel to evaluate.')
    diff = (gt - pred) * float(factor)
    return dict(
        rmse=float(np.sqrt(np.mean(diff**2))),
        mad=float(np.mean(np.abs(diff))),
    )


@METRICS.register_module()
class SRMetric(BaseDenseMetric):
    """Depth super-resolution RMSE and MAD, per image then averaged.

    For each image: the prediction must have the ground truth's ``H x W``;
    it is optionally quantised to 8 bits (``quantize='uint8'``:
    ``clip(rint(pred), 0, 255)``, half to even like OpenCV's
    ``saturate_cast`` when a float map is written to an 8-bit PNG) or
    clipped (``clip=(low, high)``: prediction and ground truth both clipped
    to the range, in the unit of the maps, as the Middlebury / Lu test code
    clips to 0..255); the evaluated pixels are those of
    :func:`sr_eval_mask` (``border`` pixels off every side, then ``gt > 0``
    or all pixels); the errors are multiplied by the unit factor (maps are
    metres: ``'m'`` x1, ``'cm'`` x100, ``'mm'`` x1000; ``'raw'`` leaves
    them as they are, for 8-bit Middlebury grey levels 0..255).
    :meth:`compute_metrics` returns the arithmetic mean of the per-image
    ``rmse`` and ``mad`` over the images.

    Bad input raises a ValueError naming the sample's ``img_path``: NaN or
    inf in the prediction or the ground truth, a prediction whose
    ``H x W`` differs from the ground truth's, a border that leaves
    nothing of the image, and (with ``on_empty='error'``) an image without
    an evaluated pixel.

    ``default_prefix`` is empty, so the keys are plain ``rmse`` and
    ``mad``. :class:`DepthMetric` also returns ``rmse``: an evaluator that
    holds both (a joint depth estimation + SR model) needs a ``prefix`` on
    at least one of them (e.g. ``prefix='sr'`` gives ``sr/rmse``),
    otherwise MMEngine's evaluator refuses the duplicate keys.

    Args:
        pred_key (str): Field of the sample holding the prediction,
            ``(1, H, W)``, in the unit of the ground truth. Defaults to
            ``'pred_sr_depth'``.
        gt_key (str): Field holding the ground truth, ``(1, H, W)``,
            0 = invalid. Defaults to ``'gt_depth'``.
        border (int): Pixels removed on every side before evaluating.
            Defaults to 6 (NYU protocol).
        unit (str): ``'m'``, ``'cm'``, ``'mm'`` (maps in metres) or
            ``'raw'`` (no conversion). Defaults to ``'cm'``.
        valid (str): ``'gt>0'`` (pixels with a valid ground truth) or
            ``'all'`` (every pixel inside the border, as the hole-filled
            NYU and Middlebury protocols compute it). Defaults to
            ``'gt>0'``.
        quantize (str, optional): None, or ``'uint8'`` to round and clip
            the prediction to 0..255 first (needs ``unit='raw'``).
            Defaults to None.
        clip (Sequence[float], optional): ``(low, high)``: clip the
            prediction and the ground truth to this range (map units)
            before the errors; not with ``quantize``. Defaults to None.
        on_empty (str): ``'error'`` raises on an image without an evaluated
            pixel; ``'skip'`` leaves it out of the average and logs a
            warning. Defaults to ``'error'``.
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

    results_name = 'SR metrics'
    higher_is_better = {key: False for key in SR_METRIC_KEYS}

    def __init__(
        self,
        pred_key: str = 'pred_sr_depth',
        gt_key: str = 'gt_depth',
        border: int = 6,
        unit: str = 'cm',
        valid: str = 'gt>0',
        quantize: Optional[str] = None,
        clip: Optional[Sequence[float]] = None,
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
        if int(border) != border or border < 0:
            raise ValueError(
                f'SRMetric: border must be an integer >= 0, got {border!r}.'
            )
        if unit not in SR_UNIT_FACTORS:
            raise ValueError(
                f'SRMetric: unit must be one of {tuple(SR_UNIT_FACTORS)}, '
                f'got {unit!r}.'
            )
        if valid not in SR_VALID_RULES:
            raise ValueError(
                f'SRMetric: valid must be one of {SR_VALID_RULES}, got '
                f'{valid!r}.'
            )
        if quantize not in _QUANTIZE:
            raise ValueError(
                f'SRMetric: quantize must be None or "uint8", got '
                f'{quantize!r}.'
            )
        if quantize == 'uint8' and unit != 'raw':
            raise ValueError(
                'SRMetric: quantize="uint8" rounds the prediction to 8-bit '
                f'grey levels and needs unit="raw", got unit={unit!r}.'
            )
        if clip is not None:
            if len(clip) != 2 or not float(clip[0]) < float(clip[1]):
                raise ValueError(
                    f'SRMetric: clip must be (low, high) with low < high, '
                    f'got {clip!r}.'
                )
            if quantize is not None:
                raise ValueError(
                    'SRMetric: quantize="uint8" already clips to 0..255; '
                    'give clip or quantize, not both.'
                )
            clip = (float(clip[0]), float(clip[1]))
        self.clip = clip
        self.on_empty = self.check_on_empty(on_empty)
        self.border = int(border)
        self.unit = unit
        self.valid = valid
        self.quantize = quantize

    @property
    def protocol(self) -> dict:
        """The evaluation protocol, written next to every result."""
        if self.unit == 'raw':
            units = 'raw map values (no conversion)'
        else:
            factor = SR_UNIT_FACTORS[self.unit]
            units = f'{self.unit} (maps in metres x {factor:g})'
        return dict(
            border=self.border,
            border_rule=(
                f'{self.border} px removed on every side: gt[b:H-b, b:W-b]'
            ),
            unit=self.unit,
            units=units,
            valid_mask=(
                'gt > 0 inside the border'
                if self.valid == 'gt>0'
                else 'every pixel inside the border'
            ),
            quantize=self.quantize,
            quantize_rule=(
                None
                if self.quantize is None
                else 'pred -> clip(rint(pred), 0, 255) before the errors'
            ),
            clip=None if self.clip is None else list(self.clip),
            clip_rule=(
                None
                if self.clip is None
                else 'pred and gt -> clip(x, low, high) before the errors'
            ),
            on_empty=self.on_empty,
            averaging='per-image mean',
            rmse='sqrt(mean((gt - pred)^2))',
            mad='mean(|gt - pred|)',
            pred_key=self.pred_key,
            gt_key=self.gt_key,
        )

    def _process_one(self, sample: dict) -> dict:
        """Per-image record: name, shape, evaluated count and metrics."""
        name = self.sample_name(sample)
        pred, gt = self.read_pair(
            sample,
            name,
            'SR metrics',
            shape_advice='the SR output must have the ground-truth size.',
        )
        height, width = gt.shape
        if 2 * self.border >= min(height, width):
            raise ValueError(
                f'{name}: a border of {self.border} px on every side '
                f'leaves nothing of the {height} x {width} ground truth.'
            )
        mask = sr_eval_mask(gt, self.border, self.valid)
        record = dict(
            img_path=name,
            gt_shape=[height, width],
            num_valid=int(mask.sum()),
        )
        if record['num_valid'] == 0:
            return self.skip_or_raise(
                record,
                f'{name}: no {self.gt_key} pixel to evaluate (valid rule '
                f'{self.valid!r} inside a {self.border} px border)',
            )
        pred_valid = pred[mask].astype(np.float64)
        if self.quantize == 'uint8':
            pred_valid = np.clip(np.rint(pred_valid), 0.0, 255.0)
        gt_valid = gt[mask].astype(np.float64)
        if self.clip is not None:
            pred_valid = np.clip(pred_valid, *self.clip)
            gt_valid = np.clip(gt_valid, *self.clip)
        record['skipped'] = False
        record['metrics'] = sr_errors(
            pred_valid, gt_valid, SR_UNIT_FACTORS[self.unit]
        )
        return record

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Average the per-image metrics over the images.

        Args:
            results (list[dict]): Per-image records from :meth:`process`,
                gathered from every rank.

        Returns:
            dict[str, float]: Mean ``rmse`` and ``mad`` over the evaluated
            images, in ``unit``.
        """
        evaluated, skipped = self.split_skipped(results, 'evaluated')
        metrics = self.mean_over_images(evaluated, SR_METRIC_KEYS)
        self.log_summary(
            'Depth SR metrics',
            dict(
                images=len(evaluated),
                skipped=len(skipped),
                unit=self.unit,
                border=self.border,
            ),
            metrics,
        )
        self.write_per_image_output(metrics, evaluated, skipped)
        return metrics


__all__ = [
    'SRMetric',
    'SR_METRIC_KEYS',
    'SR_UNIT_FACTORS',
    'sr_errors',
    'sr_eval_mask',
]
