"""Surface normal metrics: angular errors pooled over all valid pixels.

Definitions as in Fouhey's note "Evaluating Surface Normal Predictions"
(University of Michigan), aayushbansal/MarrRevisited
``normals/eval/eval_pred_sn.m`` and facebookresearch/astmt
``eval_normals.py``: the angle between the unit-normalised prediction and
ground truth at every valid pixel, all pixels of the set pooled, then the
mean, median, root mean square and the percentage of pixels below 11.25,
22.5 and 30 degrees. The functional core (:func:`normal_angles`,
:func:`normal_scores`) works on numpy arrays; :class:`NormalMetric` wraps
it for MMEngine's evaluator.
"""

import logging
import math
from typing import Dict, Optional, Sequence

import numpy as np
from mmengine.logging import print_log

from mmdepthsr.registry import METRICS

from .base import ArrayLike, BaseDenseMetric, _as_float64

__all__ = [
    'NORMAL_METRIC_KEYS',
    'NORMAL_THRESHOLDS',
    'NormalMetric',
    'normal_angles',
    'normal_scores',
]

#: Angle thresholds in degrees of the ``'11.25' '22.5' '30'`` keys.
NORMAL_THRESHOLDS = (11.25, 22.5, 30.0)

#: Keys returned by :func:`normal_scores` and :class:`NormalMetric`.
NORMAL_METRIC_KEYS = ('mean', 'median', 'rmse', '11.25', '22.5', '30')


def _threshold_key(threshold: float) -> str:
    """``11.25 -> '11.25'``, ``30.0 -> '30'``."""
    return f'{threshold:g}'


def normal_angles(pred: ArrayLike, gt: ArrayLike) -> np.ndarray:
    """Angles in degrees between predicted and ground-truth normals.

    ``e = degrees(arccos(clip(<p / |p|, g / |g|>, -1, 1)))``, computed in
    float64, so neither input needs unit length.

    Args:
        pred (np.ndarray | torch.Tensor): Predicted normals of the valid
            pixels, shape ``(N, 3)``, every vector non-zero.
        gt (np.ndarray | torch.Tensor): Ground-truth normals of the same
            pixels, shape ``(N, 3)``, every vector non-zero.

    Returns:
        np.ndarray: ``(N,)`` angles in ``[0, 180]`` degrees.
    """
    pred = _as_float64(pred)
    gt = _as_float64(gt)
    if pred.shape != gt.shape or pred.ndim != 2 or pred.shape[1] != 3:
        raise ValueError(
            'normal_angles needs two (N, 3) arrays of the same shape, got '
            f'{pred.shape} and {gt.shape}.'
        )
    pred_norm = np.linalg.norm(pred, axis=1)
    gt_norm = np.linalg.norm(gt, axis=1)
    if np.any(pred_norm == 0) or np.any(gt_norm == 0):
        raise ValueError(
            'normal_angles needs non-zero vectors; got '
            f'{int(np.sum(pred_norm == 0))} zero predicted and '
            f'{int(np.sum(gt_norm == 0))} zero ground-truth vector(s).'
        )
    cosine = np.sum(pred * gt, axis=1) / (pred_norm * gt_norm)
    return np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0)))


def normal_scores(
    angles: ArrayLike, thresholds: Sequence[float] = NORMAL_THRESHOLDS
) -> Dict[str, float]:
    """Exact normal metrics of a set of angles (no histogram).

    ``mean(e)``, ``median(e)`` (numpy's, the average of the two middle
    values for an even count), ``rmse = sqrt(mean(e**2))`` in degrees, and
    for every threshold ``t`` the percentage of angles ``e < t`` (strict).

    Args:
        angles (np.ndarray | torch.Tensor): Angles in degrees, any shape.
        thresholds (Sequence[float]): Thresholds in degrees. Defaults to
            :data:`NORMAL_THRESHOLDS`.

    Returns:
        dict[str, float]: ``mean median rmse`` and one key per threshold
        (``'11.25' '22.5' '30'`` by default).
    """
    angles = _as_float64(angles).reshape(-1)
    if angles.size == 0:
        raise ValueError('normal_scores got no angle.')
    scores = dict(
        mean=float(np.mean(angles)),
        median=float(np.median(angles)),
        rmse=float(np.sqrt(np.mean(angles**2))),
    )
    for threshold in thresholds:
        scores[_threshold_key(threshold)] = float(
            100.0 * np.mean(angles < threshold)
        )
    return scores


@METRICS.register_module()
class NormalMetric(BaseDenseMetric):
    """Surface normal angular errors, pooled over all valid pixels.

    At every valid pixel, :func:`normal_angles` gives the angle ``e``
    between the unit-normalised prediction and ground truth. All valid
    pixels of the set are pooled (not averaged per image, as Fouhey's note
    asks): ``mean = sum(e) / N``, ``rmse = sqrt(sum(e**2) / N)`` (degrees),
    ``'11.25' '22.5' '30'`` = percentage of pixels with ``e`` strictly
    below the threshold, and the pooled ``median``.

    A pixel is valid where the ground-truth vector is non-zero (the zero
    vector marks missing normals) and, with ``mask_key``, where that
    field is non-zero too (e.g. the valid raw depth that Fouhey's note
    recommends). Neither input needs unit length. Bad input raises a
    ValueError naming the sample's ``img_path``: a zero predicted vector
    on a valid pixel, NaN / inf anywhere, or a shape mismatch.

    Memory: keeping every angle of the set would grow with its pixel count,
    so each image stores exact sums (``sum(e)``, ``sum(e**2)``, the count
    below every threshold) and a sparse histogram of its angles with
    ``median_bin_width``-degree bins over ``[0, 180]`` (at most
    ``180 / median_bin_width`` entries per image). ``mean``, ``rmse`` and
    the threshold percentages are therefore exact; the **median** is read
    from the pooled histogram (the centre of the bin holding the middle
    angle, or the mean of the two bin centres for an even count, clamped
    to the smallest and largest angle of the set, so that e.g. a perfect
    prediction gives exactly 0), so it is within ``median_bin_width / 2``
    of the exact median: 0.005 degrees with the default 0.01-degree bins.

    Conventions elsewhere: Multi-Task-Learning-PyTorch's
    ``NormalsMeter.get_score`` reports as ``rmse`` the mean angle
    (``sum(e) / n``, a bug) and has no median; its offline
    ``eval_normals`` (from astmt) computes both correctly.
    lorenmt/mtan's ``normal_error`` pools the pixels of one batch and its
    trainer averages over batches, and marks valid pixels by
    ``sum(gt) != 0`` (component sum, not norm).

    ``default_prefix`` is empty, so the keys are plain; ``rmse`` clashes
    with ``DepthMetric``'s, so set ``prefix`` (e.g. ``'normal'``) when
    both are in one evaluator.

    Args:
        pred_key (str): Field holding the predicted normals,
            ``(3, H, W)``. Defaults to ``'pred_normal'``.
        gt_key (str): Field holding the ground-truth normals, ``(3, H,
            W)``, zero vector = invalid. Defaults to ``'gt_normal'``.
        mask_key (str, optional): Field (``(1, H, W)`` or ``(H, W)``) whose
            non-zero pixels are the only ones evaluated, in addition to the
            ground-truth rule. Defaults to None.
        median_bin_width (float): Histogram bin width in degrees for the
            pooled median. Defaults to 0.01.
        collect_device (str): Device used to collect results across ranks,
            ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix added as ``prefix/key`` to every
            key. Defaults to None (plain keys).
        output_file (str, optional): Path of a JSON file that receives the
            metrics, the protocol and the per-image valid count and mean
            angle. Written by the main process only. Defaults to None.
        collect_dir (str, optional): Directory used to collect results
            across ranks when ``collect_device='cpu'``. Defaults to None.
    """

    results_name = 'Normal metrics'
    higher_is_better = {
        key: key not in ('mean', 'median', 'rmse')
        for key in NORMAL_METRIC_KEYS
    }

    def __init__(
        self,
        pred_key: str = 'pred_normal',
        gt_key: str = 'gt_normal',
        mask_key: Optional[str] = None,
        median_bin_width: float = 0.01,
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
        if not 0 < median_bin_width <= 180:
            raise ValueError(
                'median_bin_width must be in (0, 180] degrees, got '
                f'{median_bin_width!r}.'
            )
        self.mask_key = mask_key
        self.median_bin_width = float(median_bin_width)
        # The tolerance keeps 180 / 0.01 = 18000 bins despite rounding.
        self.num_bins = int(math.ceil(180.0 / self.median_bin_width - 1e-9))
        self.num_empty = 0

    @property
    def protocol(self) -> dict:
        """The evaluation protocol, written next to every result."""
        valid = 'ground-truth vector != 0'
        if self.mask_key is not None:
            valid += f' & {self.mask_key} != 0'
        return dict(
            averaging='pooled over all valid pixels of the set',
            angle=(
                'degrees(arccos(clip(<p/|p|, g/|g|>, -1, 1))), both '
                'unit-normalised, float64'
            ),
            valid_mask=valid,
            thresholds='percent of pixels with angle < t (strict), t in '
            + ', '.join(_threshold_key(t) for t in NORMAL_THRESHOLDS),
            rmse='sqrt(mean(angle^2))',
            median=(
                'from a pooled histogram of the angles over [0, 180] '
                'degrees: centre of the bin holding the middle angle '
                '(mean of two centres for an even count), clamped to '
                '[min, max] of the angles'
            ),
            median_bin_width=self.median_bin_width,
            median_max_error=self.median_bin_width / 2,
            units='degrees; threshold keys in percent',
            pred_key=self.pred_key,
            gt_key=self.gt_key,
            mask_key=self.mask_key,
        )

    def _process_one(self, sample: dict) -> dict:
        """Per-image record: exact sums and a sparse angle histogram."""
        name = self.sample_name(sample)
        pred = self._read_field(sample, self.pred_key, name, channels=3)
        gt = self._read_field(sample, self.gt_key, name, channels=3)
        self.check_shapes(name, pred, gt)
        self.check_finite(
            name,
            pred,
            gt,
            'mark invalid ground truth with the zero vector.',
            unit='value(s)',
        )
        valid = np.linalg.norm(gt, axis=0) > 0
        if self.mask_key is not None:
            mask = self._read_field(sample, self.mask_key, name, channels=1)
            if mask.shape[1:] != gt.shape[1:]:
                raise ValueError(
                    f'{name}: {self.mask_key} has shape {mask.shape[1:]} '
                    f'but {self.gt_key} is {gt.shape[1:]}.'
                )
            valid &= mask[0] != 0
        pred_valid = pred[:, valid].T
        zero_pred = int(np.sum(np.linalg.norm(pred_valid, axis=1) == 0))
        if zero_pred:
            raise ValueError(
                f'{name}: {self.pred_key} has {zero_pred} zero vector(s) on '
                'valid ground-truth pixels; the angle is undefined there.'
            )
        angles = normal_angles(pred_valid, gt[:, valid].T)
        bins = np.minimum(
            (angles / self.median_bin_width).astype(np.int64),
            self.num_bins - 1,
        )
        counts = np.bincount(bins, minlength=self.num_bins)
        occupied = np.flatnonzero(counts)
        index_dtype = np.uint16 if self.num_bins <= 65536 else np.uint32
        return dict(
            img_path=name,
            num_valid=int(angles.size),
            sum=float(np.sum(angles)),
            sum_sq=float(np.sum(angles**2)),
            min=float(angles.min()) if angles.size else None,
            max=float(angles.max()) if angles.size else None,
            below=[int(np.sum(angles < t)) for t in NORMAL_THRESHOLDS],
            hist_index=occupied.astype(index_dtype),
            hist_count=counts[occupied].astype(np.uint32),
        )

    @classmethod
    def _read_field(
        cls, sample: dict, key: str, name: str, channels: int
    ) -> np.ndarray:
        """Field ``key`` of a sample as a float64 ``(channels, H, W)``."""
        data = cls.read_field(sample, key, name).astype(np.float64)
        if channels == 1 and data.ndim == 2:
            data = data[None]
        if data.ndim != 3 or data.shape[0] != channels:
            raise ValueError(
                f'{name}: {key} must have shape ({channels}, H, W), got '
                f'{data.shape}.'
            )
        return data

    def _pooled_median(
        self,
        histogram: np.ndarray,
        total: int,
        smallest: float,
        largest: float,
    ) -> float:
        """Median from the histogram, clamped to ``[smallest, largest]``."""
        cumulative = np.cumsum(histogram)
        # 1-based ranks of the middle angle(s).
        ranks = [(total + 1) // 2, total // 2 + 1]
        if total % 2:
            ranks = ranks[:1]
        centres = []
        for rank in ranks:
            index = int(np.searchsorted(cumulative, rank))
            low = index * self.median_bin_width
            high = min((index + 1) * self.median_bin_width, 180.0)
            centres.append((low + high) / 2)
        return float(np.clip(np.mean(centres), smallest, largest))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Pool the per-image sums and histograms.

        Args:
            results (list[dict]): Per-image records from :meth:`process`,
                gathered from every rank.

        Returns:
            dict[str, float]: ``mean median rmse`` (degrees) and ``'11.25'
            '22.5' '30'`` (percent).
        """
        empty = [r['img_path'] for r in results if r['num_valid'] == 0]
        self.num_empty = len(empty)
        if empty:
            print_log(
                f'NormalMetric: {len(empty)} of {len(results)} image(s) '
                'have no valid pixel and add nothing: '
                + self.join_shortened(empty, 5),
                logger='current',
                level=logging.WARNING,
            )
        total = sum(r['num_valid'] for r in results)
        if total == 0:
            raise ValueError(
                f'NormalMetric has no valid pixel in {len(results)} '
                'image(s) (every ground-truth vector is zero or masked).'
            )
        histogram = np.zeros(self.num_bins, dtype=np.int64)
        for r in results:
            np.add.at(
                histogram,
                r['hist_index'].astype(np.int64),
                r['hist_count'].astype(np.int64),
            )
        below = np.sum([r['below'] for r in results], axis=0)
        metrics = dict(
            mean=sum(r['sum'] for r in results) / total,
            median=self._pooled_median(
                histogram,
                total,
                min(r['min'] for r in results if r['num_valid']),
                max(r['max'] for r in results if r['num_valid']),
            ),
            rmse=math.sqrt(sum(r['sum_sq'] for r in results) / total),
        )
        for threshold, count in zip(NORMAL_THRESHOLDS, below):
            metrics[_threshold_key(threshold)] = 100.0 * int(count) / total

        self.log_summary(
            'Normal metrics (degrees / %)',
            dict(images=len(results), pixels=total),
            metrics,
            digits=2,
        )
        self.write_output(
            metrics,
            per_image=[
                dict(
                    img_path=r['img_path'],
                    num_valid=r['num_valid'],
                    mean=(
                        r['sum'] / r['num_valid'] if r['num_valid'] else None
                    ),
                )
                for r in results
            ],
            num_images=len(results),
            num_valid_pixels=total,
        )
        return metrics
