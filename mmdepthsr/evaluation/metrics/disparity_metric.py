"""Disparity error metric (stereo datasets).

The multi-task literature on Cityscapes scores "depth" as an error of the
disparity (inverse depth): MTAN (Liu et al., CVPR 2019, ``lorenmt/mtan``)
at 128 x 256 with an undocumented scale, Auto-Lambda (Liu et al., TMLR
2022, ``lorenmt/auto-lambda``) at 256 x 512 as the mean absolute error in
pixels of the evaluated image. The toolbox predicts metric depth, so the
disparity of a depth map is ``stereo_baseline * fx / depth`` with the focal
length ``fx`` of the image as evaluated (after every resize): at 512 x 256
from 2048 x 1024 this is ``(p - 1) / (256 * 4)`` of the Cityscapes
disparity PNG value ``p``, the Auto-Lambda target.
:func:`depth_to_disparity` and :func:`disparity_errors` are the numpy core;
:class:`DisparityMetric` wraps them for MMEngine's evaluator.
"""

from typing import Dict, List, Optional

import numpy as np

from mmdepthsr.registry import METRICS

from .base import BaseDenseMetric, _as_float64

#: Keys returned by :func:`disparity_errors` and :class:`DisparityMetric`.
DISPARITY_METRIC_KEYS = ('disp_abs_err', 'disp_rel_err')

_AVERAGING = dict(
    pixel='pooled over the valid pixels of the whole set',
    image='per-image mean, then mean over images',
)


def depth_to_disparity(
    depth: np.ndarray, stereo_baseline: float, fx: float
) -> np.ndarray:
    """Disparity in pixels of a depth map: ``baseline * fx / depth``.

    Args:
        depth (np.ndarray): Depth in metres, any shape; values <= 0 are
            invalid and give disparity 0.
        stereo_baseline (float): Baseline of the stereo pair in metres.
        fx (float): Focal length in pixels of the image the depth map
            belongs to.

    Returns:
        np.ndarray: float64 disparity in pixels, same shape.
    """
    depth = _as_float64(depth)
    out = np.zeros_like(depth)
    valid = depth > 0
    out[valid] = float(stereo_baseline) * float(fx) / depth[valid]
    return out


def disparity_errors(pred: np.ndarray, gt: np.ndarray) -> Dict[str, float]:
    """Disparity errors of one image over its valid pixels.

    - ``disp_abs_err = mean(|pred - gt|)`` (pixels)
    - ``disp_rel_err = mean(|pred - gt| / gt)``

    Args:
        pred (np.ndarray): Predicted disparity of the valid pixels,
            ``(N,)``, pixels, finite.
        gt (np.ndarray): Ground-truth disparity of the same pixels,
            ``(N,)``, finite and > 0.

    Returns:
        dict[str, float]: The keys of :data:`DISPARITY_METRIC_KEYS`.
    """
    pred = _as_float64(pred).reshape(-1)
    gt = _as_float64(gt).reshape(-1)
    if pred.shape != gt.shape:
        raise ValueError(
            'disparity_errors needs as many predicted as ground-truth '
            f'pixels, got {pred.shape[0]} and {gt.shape[0]}.'
        )
    if pred.size == 0:
        raise ValueError('disparity_errors got no valid pixel.')
    if not np.all(np.isfinite(pred)):
        raise ValueError(
            f'disparity_errors got {int(np.sum(~np.isfinite(pred)))} '
            'non-finite predicted disparities.'
        )
    if not np.all(np.isfinite(gt)) or np.any(gt <= 0):
        raise ValueError(
            'disparity_errors needs finite, positive ground-truth '
            f'disparities; got {int(np.sum(~np.isfinite(gt)))} non-finite '
            f'and {int(np.sum(gt <= 0))} non-positive values.'
        )
    abs_diff = np.abs(pred - gt)
    return dict(
        disp_abs_err=float(np.mean(abs_diff)),
        disp_rel_err=float(np.mean(abs_diff / gt)),
    )


@METRICS.register_module()
class DisparityMetric(BaseDenseMetric):
    """Disparity errors in pixels, from predicted and ground-truth depth.

    For each sample, with ``B`` = ``stereo_baseline`` (metres) and ``fx`` =
    ``cam_intrinsics[0]`` of its metainfo (the focal length in pixels of
    the image after every transform), both depth maps become disparities
    ``B * fx / depth`` (:func:`depth_to_disparity`) on the valid
    ground-truth pixels (``gt > 0``), and :func:`disparity_errors` gives
    ``disp_abs_err`` (mean absolute error, pixels) and ``disp_rel_err``
    (mean of ``|d_pred - d_gt| / d_gt``). The disparities are in pixels of
    the ground truth as it reaches the metric: for the 256 x 512 protocol
    the test pipeline resizes image and ground truth together
    (``Resize(resize_gt=True)`` scales ``fx`` and resizes the depth with
    nearest neighbour). When the ground truth was kept at another width
    than the image (a last ``Resize(resize_gt=False)``, recorded as
    ``img_shape`` in the metainfo), ``fx`` is rescaled by
    ``gt_width / img_width``, so the errors are in pixels of the
    ground-truth resolution.

    Averaging (``averaging``):

    - ``'pixel'`` (default): the errors of every valid pixel of the set
      pooled, ``sum(err) / sum(num_valid)``. MTAN and Auto-Lambda pool the
      valid pixels of each test batch (of 4 images in Auto-Lambda) and
      average the batch means; pooling over the whole set is the
      batch-size-independent form of that.
    - ``'image'``: the mean over images of each image's mean.

    Predictions are clamped to at least ``min_depth`` when ``clip_pred``
    is True, so that their disparity stays finite; with
    ``clip_pred=False`` a prediction <= 0 on a valid pixel is an error.

    Bad input raises a ValueError naming the sample's ``img_path``: no
    ``stereo_baseline`` or ``cam_intrinsics`` in the metainfo, a
    non-positive baseline or ``fx``, NaN/inf in the prediction or the
    ground truth, different ``H x W``, and (with ``on_empty='error'``) an
    image without a valid pixel.

    Keys: ``disp_abs_err disp_rel_err``; ``default_prefix`` is empty.

    Args:
        pred_key (str): Field holding the predicted depth, ``(1, H, W)``
            metres. Defaults to ``'pred_depth'``.
        gt_key (str): Field holding the ground-truth depth, ``(1, H, W)``
            metres, 0 = invalid. Defaults to ``'gt_depth'``.
        averaging (str): ``'pixel'`` or ``'image'`` (see above). Defaults
            to ``'pixel'``.
        min_depth (float): Floor of the predicted depth in metres with
            ``clip_pred``. Defaults to 1e-3.
        clip_pred (bool): Clamp predictions to ``>= min_depth``. Defaults
            to True.
        baseline_key (str): Metainfo key of the stereo baseline in metres.
            Defaults to ``'stereo_baseline'``.
        on_empty (str): ``'error'`` or ``'skip'`` for an image without a
            valid ground-truth pixel. Defaults to ``'error'``.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to
            ``'cpu'``.
        prefix (str, optional): Prefix added as ``prefix/key``. Defaults
            to None (plain keys).
        output_file (str, optional): JSON file receiving the metrics, the
            protocol and the per-image errors. Defaults to None.
        collect_dir (str, optional): Directory used to collect results
            across ranks when ``collect_device='cpu'``. Defaults to None.
    """

    results_name = 'Disparity errors'
    higher_is_better = {key: False for key in DISPARITY_METRIC_KEYS}

    def __init__(
        self,
        pred_key: str = 'pred_depth',
        gt_key: str = 'gt_depth',
        averaging: str = 'pixel',
        min_depth: float = 1e-3,
        clip_pred: bool = True,
        baseline_key: str = 'stereo_baseline',
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
        if averaging not in _AVERAGING:
            raise ValueError(
                f'DisparityMetric: averaging must be one of '
                f'{sorted(_AVERAGING)}, got {averaging!r}.'
            )
        if not min_depth > 0:
            raise ValueError(
                f'DisparityMetric: min_depth must be > 0, got {min_depth}.'
            )
        self.on_empty = self.check_on_empty(on_empty)
        self.averaging = averaging
        self.min_depth = float(min_depth)
        self.clip_pred = clip_pred
        self.baseline_key = baseline_key
        self._shapes_seen: List[str] = []

    @property
    def protocol(self) -> dict:
        """The evaluation protocol, written next to every result.

        ``evaluated_shapes`` lists the ground-truth sizes (``'HxW'``) seen
        by the last :meth:`compute_metrics`: the disparities are in pixels
        of those images.
        """
        return dict(
            disparity='stereo_baseline * fx / depth, fx = cam_intrinsics[0]',
            fx_rescaling='fx * gt_width / img_width when they differ',
            units='pixels of the ground truth as evaluated',
            evaluated_shapes=list(self._shapes_seen),
            valid_mask='gt > 0',
            abs_err='mean |d_pred - d_gt|',
            rel_err='mean |d_pred - d_gt| / d_gt',
            averaging=_AVERAGING[self.averaging],
            clip_pred=self.clip_pred,
            min_depth=self.min_depth,
            on_empty=self.on_empty,
            pred_key=self.pred_key,
            gt_key=self.gt_key,
            baseline_key=self.baseline_key,
        )

    def _camera(self, sample: dict, name: str, gt_shape):
        """``(baseline, fx)`` of a sample at the ground-truth size."""
        baseline = sample.get(self.baseline_key)
        if baseline is None:
            raise ValueError(
                f'{name}: the sample has no {self.baseline_key!r} in its '
                'metainfo; DisparityMetric needs the stereo baseline '
                '(metres) of each image (set by the dataset and kept by '
                "PackDenseInputs' meta_keys)."
            )
        intrinsics = sample.get('cam_intrinsics')
        if intrinsics is None:
            raise ValueError(
                f'{name}: the sample has no cam_intrinsics in its '
                'metainfo; DisparityMetric needs fx of the evaluated image.'
            )
        baseline = float(_as_float64(baseline).reshape(-1)[0])
        fx = float(_as_float64(intrinsics).reshape(-1)[0])
        for label, value in (('stereo baseline', baseline), ('fx', fx)):
            if not (np.isfinite(value) and value > 0):
                raise ValueError(
                    f'{name}: {label} is {value}; it must be a finite '
                    'positive number.'
                )
        img_shape = sample.get('img_shape')
        if img_shape is not None and int(img_shape[1]) != gt_shape[1]:
            # The ground truth was kept at its size by a last
            # Resize(resize_gt=False): fx scales with the width.
            fx *= gt_shape[1] / int(img_shape[1])
        return baseline, fx

    def _process_one(self, sample: dict) -> dict:
        """Per-image record: name, shape, camera, valid count, errors."""
        name = self.sample_name(sample)
        pred, gt = self.read_pair(sample, name, 'disparity errors')
        baseline, fx = self._camera(sample, name, gt.shape)

        mask = gt > 0
        record = dict(
            img_path=name,
            gt_shape=list(gt.shape),
            stereo_baseline=baseline,
            fx=fx,
            num_valid=int(mask.sum()),
        )
        if record['num_valid'] == 0:
            return self.skip_or_raise(
                record, f'{name}: no valid {self.gt_key} pixel (gt > 0)'
            )

        pred_valid = pred[mask].astype(np.float64)
        if self.clip_pred:
            pred_valid = np.maximum(pred_valid, self.min_depth)
        elif np.any(pred_valid <= 0):
            raise ValueError(
                f'{name}: {int(np.sum(pred_valid <= 0))} valid pixel(s) of '
                f'{self.pred_key} are <= 0 and clip_pred=False; their '
                'disparity is undefined.'
            )
        record['skipped'] = False
        record['metrics'] = disparity_errors(
            depth_to_disparity(pred_valid, baseline, fx),
            depth_to_disparity(gt[mask], baseline, fx),
        )
        return record

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Average the errors over the pixels or the images.

        Args:
            results (list[dict]): Per-image records from :meth:`process`,
                gathered from every rank.

        Returns:
            dict[str, float]: ``disp_abs_err`` and ``disp_rel_err``.
        """
        evaluated, skipped = self.split_skipped(results)
        self._shapes_seen = sorted(
            {'{}x{}'.format(*r['gt_shape']) for r in evaluated}
        )
        if self.averaging == 'pixel':
            counts = np.array([r['num_valid'] for r in evaluated], np.float64)
            metrics = {
                key: float(
                    np.sum(
                        counts
                        * np.array([r['metrics'][key] for r in evaluated])
                    )
                    / np.sum(counts)
                )
                for key in DISPARITY_METRIC_KEYS
            }
        else:
            metrics = self.mean_over_images(evaluated, DISPARITY_METRIC_KEYS)

        self.log_summary(
            'Disparity errors (px)',
            dict(
                images=len(evaluated),
                skipped=len(skipped),
                averaging=self.averaging,
            ),
            metrics,
        )
        self.write_per_image_output(
            metrics,
            evaluated,
            skipped,
            fields=('num_valid', 'stereo_baseline', 'fx'),
        )
        return metrics


__all__ = [
    'DISPARITY_METRIC_KEYS',
    'DisparityMetric',
    'depth_to_disparity',
    'disparity_errors',
]
