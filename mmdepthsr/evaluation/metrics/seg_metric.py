"""Semantic segmentation metrics, pooled over the evaluated set.

The definitions follow mmsegmentation 1.x's ``IoUMetric``
(open-mmlab/mmsegmentation): per image the intersection, union,
predicted area and labelled area of every class are counted over the
pixels whose label is not ``ignore_index``; these counts are summed over
the whole set before any ratio is taken. The functional core
(:func:`seg_areas`, :func:`seg_scores`) works on numpy arrays;
:class:`SegMetric` wraps it for MMEngine's evaluator.
"""

import logging
import math
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.logging import print_log

from mmdepthsr.registry import METRICS

from .base import ArrayLike, BaseDenseMetric

__all__ = ['SEG_METRIC_KEYS', 'SegMetric', 'seg_areas', 'seg_scores']

#: Keys returned by :func:`seg_scores` and :class:`SegMetric`, in order.
SEG_METRIC_KEYS = ('aAcc', 'mAcc', 'mIoU', 'fwIoU')

_ABSENT_CLASS_RULE = (
    'a class with union 0 (absent from both ground truth and prediction) '
    'has IoU NaN and is left out of mIoU (mmsegmentation); a class absent '
    'from the ground truth has Acc NaN and is left out of mAcc; '
    'nan_to_num replaces these NaNs before averaging (nan_to_num=0 gives '
    'the Multi-Task-Learning-PyTorch / astmt rule, where absent classes '
    'count as 0)'
)


def seg_areas(
    pred: ArrayLike,
    gt: ArrayLike,
    num_classes: int,
    ignore_index: int = 255,
) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-class areas of one image, over the pixels with a label.

    Pixels whose ground truth equals ``ignore_index`` are left out, for
    the prediction as well. The ids are not range-checked here
    (:class:`SegMetric` does that); ids outside ``0..num_classes - 1``
    would make ``np.bincount`` fail or grow.

    Args:
        pred (np.ndarray | torch.Tensor): Predicted class ids, ``(H, W)``.
        gt (np.ndarray | torch.Tensor): Ground-truth class ids, ``(H, W)``.
        num_classes (int): Number of classes ``C``.
        ignore_index (int): Ground-truth id of unlabelled pixels.
            Defaults to 255.

    Returns:
        tuple[np.ndarray]: ``(intersect, union, pred_area, label_area)``,
        each an int64 array of shape ``(C,)`` holding pixel counts.
    """
    pred = _as_int64(pred).reshape(-1)
    gt = _as_int64(gt).reshape(-1)
    keep = gt != ignore_index
    pred, gt = pred[keep], gt[keep]
    label_area = np.bincount(gt, minlength=num_classes)
    pred_area = np.bincount(pred, minlength=num_classes)
    intersect = np.bincount(gt[pred == gt], minlength=num_classes)
    union = pred_area + label_area - intersect
    return intersect, union, pred_area, label_area


def seg_scores(
    intersect: np.ndarray,
    union: np.ndarray,
    pred_area: np.ndarray,
    label_area: np.ndarray,
    nan_to_num: Optional[float] = None,
) -> Dict[str, Union[float, np.ndarray]]:
    """Segmentation scores from per-class areas, in percent.

    With ``I, U, L`` the per-class intersection, union and labelled areas
    (already summed over the images for a pooled result):

    - ``IoU_c = 100 * I_c / U_c`` (NaN when ``U_c = 0``)
    - ``Acc_c = 100 * I_c / L_c`` (NaN when ``L_c = 0``)
    - ``aAcc = 100 * sum(I) / sum(L)``
    - ``mIoU = nanmean(IoU)``, ``mAcc = nanmean(Acc)``: classes absent
      from both ground truth and prediction are skipped (mmsegmentation);
      a class that is predicted but absent from the ground truth has
      ``U > 0, I = 0`` and counts with IoU 0.
    - ``fwIoU = sum_c (L_c / sum(L)) * IoU_c``.

    ``nan_to_num`` (as in mmsegmentation) replaces the NaNs of ``IoU`` and
    ``Acc`` before the means are taken, so ``nan_to_num=0`` counts absent
    classes as 0 like Multi-Task-Learning-PyTorch and astmt do.

    Args:
        intersect (np.ndarray): ``(C,)`` intersection areas.
        union (np.ndarray): ``(C,)`` union areas.
        pred_area (np.ndarray): ``(C,)`` predicted areas (only checked for
            consistency: ``union = pred_area + label_area - intersect``).
        label_area (np.ndarray): ``(C,)`` labelled areas.
        nan_to_num (float, optional): Value replacing NaN per-class scores.
            Defaults to None (keep NaN, skip in the means).

    Returns:
        dict: ``aAcc mAcc mIoU fwIoU`` as floats (NaN if undefined, e.g.
        no labelled pixel at all) and ``IoU``, ``Acc`` as float64 arrays
        of shape ``(C,)``.
    """
    intersect, union, pred_area, label_area = (
        np.asarray(a, dtype=np.float64)
        for a in (intersect, union, pred_area, label_area)
    )
    if not np.array_equal(union, pred_area + label_area - intersect):
        raise ValueError(
            'seg_scores needs union = pred_area + label_area - intersect '
            'for every class.'
        )
    with np.errstate(divide='ignore', invalid='ignore'):
        iou = 100.0 * intersect / union
        acc = 100.0 * intersect / label_area
    total_label = label_area.sum()
    if total_label > 0:
        a_acc = float(100.0 * intersect.sum() / total_label)
        labelled = label_area > 0
        fw_iou = float(
            np.sum(label_area[labelled] / total_label * iou[labelled])
        )
    else:
        a_acc = fw_iou = math.nan
    if nan_to_num is not None:
        iou = np.nan_to_num(iou, nan=nan_to_num)
        acc = np.nan_to_num(acc, nan=nan_to_num)
    return dict(
        aAcc=a_acc,
        mAcc=_nanmean(acc),
        mIoU=_nanmean(iou),
        fwIoU=fw_iou,
        IoU=iou,
        Acc=acc,
    )


def _nanmean(values: np.ndarray) -> float:
    """Mean of the non-NaN values, NaN (without a warning) if none."""
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if finite.size else math.nan


def _as_int64(array: ArrayLike) -> np.ndarray:
    """An int64 numpy copy of a tensor or an array."""
    if isinstance(array, torch.Tensor):
        array = array.detach().cpu().numpy()
    return np.asarray(array).astype(np.int64)


@METRICS.register_module()
class SegMetric(BaseDenseMetric):
    """Semantic segmentation metrics pooled over the set (mmsegmentation).

    For each image, :func:`seg_areas` counts the per-class intersection,
    union, predicted and labelled areas over the pixels whose ground truth
    is not ``ignore_index``; :meth:`compute_metrics` sums them over all
    images and :func:`seg_scores` turns the sums into ``aAcc mAcc mIoU
    fwIoU`` in percent. Pooling is not averaging per image: an image with
    few labelled pixels weighs little, and a class missing from one image
    does not count there. Classes absent from both the ground truth and the
    prediction of the whole set are skipped in mIoU (mmsegmentation's rule;
    Multi-Task-Learning-PyTorch and astmt count them as 0, which
    ``nan_to_num=0`` reproduces; lorenmt/mtan's ``ConfMatrix`` returns NaN
    then).

    The per-class IoU and Acc are logged as a table (class names from
    ``class_names``, else from the ``classes`` of the dataset meta, else
    ``class_<i>``), kept in ``self.per_class`` after evaluation and written
    to ``output_file``; the returned dict holds only the four summary keys.

    Bad input raises a ValueError naming the sample's ``img_path``: a
    prediction whose ``H x W`` differs from the ground truth's, a
    ground-truth id outside ``0..num_classes - 1`` other than
    ``ignore_index`` (a wrong class mapping, never dropped silently), a
    predicted id outside ``0..num_classes - 1`` on a labelled pixel
    (predictions on ignored pixels are not looked at) and non-integer
    predicted ids.

    ``default_prefix`` is empty, so the keys are plain (``mIoU``); set
    ``prefix`` when another metric of the evaluator uses the same keys.

    Args:
        num_classes (int): Number of classes ``C``; ids are
            ``0..C - 1``.
        ignore_index (int): Ground-truth id of unlabelled pixels; must lie
            outside ``0..C - 1`` (map labels in the loading pipeline, e.g.
            ``reduce_zero_label``). Defaults to 255.
        pred_key (str): Field holding the predicted ids, ``(1, H, W)``.
            Defaults to ``'pred_sem_seg'``.
        gt_key (str): Field holding the ground-truth ids, ``(1, H, W)``.
            Defaults to ``'gt_sem_seg'``.
        class_names (Sequence[str], optional): ``C`` class names for the
            table and the output file. Defaults to None (use the dataset
            meta's ``classes``).
        nan_to_num (float, optional): Value replacing the NaN IoU / Acc of
            absent classes before averaging (see :func:`seg_scores`).
            Defaults to None (absent classes are skipped).
        collect_device (str): Device used to collect results across ranks,
            ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix added as ``prefix/key`` to every
            key. Defaults to None (plain keys).
        output_file (str, optional): Path of a JSON file that receives the
            metrics, the protocol, the per-class scores and areas and the
            per-image pixel accuracy. NaN is written as null. Written by
            the main process only. Defaults to None.
        collect_dir (str, optional): Directory used to collect results
            across ranks when ``collect_device='cpu'``. Defaults to None.
    """

    results_name = 'Segmentation metrics'
    higher_is_better = {key: True for key in SEG_METRIC_KEYS}

    def __init__(
        self,
        num_classes: int,
        ignore_index: int = 255,
        pred_key: str = 'pred_sem_seg',
        gt_key: str = 'gt_sem_seg',
        class_names: Optional[Sequence[str]] = None,
        nan_to_num: Optional[float] = None,
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
        if (
            isinstance(num_classes, bool)
            or not isinstance(num_classes, (int, np.integer))
            or num_classes < 1
        ):
            raise ValueError(
                f'SegMetric needs a positive integer num_classes, got '
                f'{num_classes!r}.'
            )
        if 0 <= ignore_index < num_classes:
            raise ValueError(
                f'ignore_index={ignore_index} is a class id (0..'
                f'{num_classes - 1}); choose an id outside the classes and '
                'map the labels in the loading pipeline (e.g. '
                'reduce_zero_label=True turns 0 into 255).'
            )
        self.num_classes = int(num_classes)
        if class_names is not None:
            class_names = [str(name) for name in class_names]
            self._check_names(class_names, 'class_names')
        self.ignore_index = int(ignore_index)
        self.class_names = class_names
        self.nan_to_num = nan_to_num
        self.per_class: List[dict] = []

    @property
    def dataset_meta(self) -> Optional[dict]:
        """Meta information of the dataset (``classes`` names the ids)."""
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, dataset_meta: Optional[dict]) -> None:
        # Checked here so that a class-count mismatch fails when the runner
        # builds the evaluator, not after a whole evaluation pass.
        if self.class_names is None and dataset_meta:
            classes = dataset_meta.get('classes')
            if classes is not None:
                self._check_names(list(classes), "the dataset meta's classes")
        self._dataset_meta = dataset_meta

    def _check_names(self, names: Sequence[str], source: str) -> None:
        if len(names) != self.num_classes:
            raise ValueError(
                f'SegMetric has num_classes={self.num_classes} but '
                f'{source} lists {len(names)} names; pass matching '
                'num_classes or class_names.'
            )

    def _names(self) -> List[str]:
        """The class names used in the table and the output file."""
        if self.class_names is not None:
            return list(self.class_names)
        classes = (self.dataset_meta or {}).get('classes')
        if classes is not None:
            return [str(name) for name in classes]
        return [f'class_{i}' for i in range(self.num_classes)]

    @property
    def protocol(self) -> dict:
        """The evaluation protocol, written next to every result."""
        return dict(
            averaging=(
                'pooled over the set: per-class intersect / union / '
                'pred_area / label_area summed over images, then ratios'
            ),
            num_classes=self.num_classes,
            ignore_index=self.ignore_index,
            ignored_pixels='ground truth == ignore_index (prediction too)',
            absent_class_rule=_ABSENT_CLASS_RULE,
            nan_to_num=self.nan_to_num,
            definitions=dict(
                IoU='I_c / U_c',
                Acc='I_c / label_area_c',
                aAcc='sum(I) / sum(label_area)',
                mIoU='nanmean over classes of IoU',
                mAcc='nanmean over classes of Acc',
                fwIoU='sum_c label_area_c / sum(label_area) * IoU_c',
            ),
            units='percent',
            pred_key=self.pred_key,
            gt_key=self.gt_key,
        )

    def _process_one(self, sample: dict) -> dict:
        """Per-image record: name, labelled pixel count and the areas."""
        name = self.sample_name(sample)
        pred = self._read_ids(sample, self.pred_key, name)
        gt = self._read_ids(sample, self.gt_key, name)
        self.check_shapes(name, pred, gt)
        labelled = gt != self.ignore_index
        self._check_range(gt[labelled], self.gt_key, name, 'class mapping')
        self._check_range(pred[labelled], self.pred_key, name, 'model')
        intersect, union, pred_area, label_area = seg_areas(
            pred, gt, self.num_classes, self.ignore_index
        )
        return dict(
            img_path=name,
            num_labelled=int(labelled.sum()),
            intersect=intersect,
            union=union,
            pred_area=pred_area,
            label_area=label_area,
        )

    def _check_range(
        self, ids: np.ndarray, key: str, name: str, culprit: str
    ) -> None:
        """Raise if an id of a labelled pixel is not a class id."""
        bad = (ids < 0) | (ids >= self.num_classes)
        if bad.any():
            shown = self.join_shortened(np.unique(ids[bad]), 10)
            raise ValueError(
                f'{name}: {key} has {int(bad.sum())} labelled pixel(s) with '
                f'ids outside 0..{self.num_classes - 1} (ignore_index '
                f'{self.ignore_index}): {shown}; check the {culprit} and '
                'num_classes.'
            )

    @classmethod
    def _read_ids(cls, sample: dict, key: str, name: str) -> np.ndarray:
        """The ``(H, W)`` int64 id map of field ``key`` of a sample."""
        data = cls.read_map(sample, key, name, floating=False)
        if data.dtype == np.bool_ or data.dtype.kind not in 'iuf':
            raise ValueError(
                f'{name}: {key} must hold integer class ids, got dtype '
                f'{data.dtype}.'
            )
        if data.dtype.kind == 'f':
            if not np.all(np.isfinite(data)) or np.any(data != np.round(data)):
                raise ValueError(
                    f'{name}: {key} has non-integer or non-finite values; '
                    'pass class ids (argmax of the logits), not scores.'
                )
        return data.astype(np.int64)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Sum the per-image areas and compute the pooled scores.

        Args:
            results (list[dict]): Per-image records from :meth:`process`,
                gathered from every rank.

        Returns:
            dict[str, float]: ``aAcc mAcc mIoU fwIoU`` in percent.
        """
        if not results:
            raise ValueError('SegMetric has no image to evaluate.')
        totals = {
            key: np.sum([r[key] for r in results], axis=0).astype(np.int64)
            for key in ('intersect', 'union', 'pred_area', 'label_area')
        }
        if totals['label_area'].sum() == 0:
            raise ValueError(
                f'SegMetric: none of the {len(results)} image(s) has a '
                f'labelled pixel (every ground-truth pixel is '
                f'{self.ignore_index}).'
            )
        scores = seg_scores(**totals, nan_to_num=self.nan_to_num)
        metrics = {key: scores[key] for key in SEG_METRIC_KEYS}

        names = self._names()
        self.per_class = [
            dict(
                name=names[i],
                IoU=self.json_safe(scores['IoU'][i]),
                Acc=self.json_safe(scores['Acc'][i]),
                intersect=int(totals['intersect'][i]),
                union=int(totals['union'][i]),
                pred_area=int(totals['pred_area'][i]),
                label_area=int(totals['label_area'][i]),
            )
            for i in range(self.num_classes)
        ]
        self._log_tables(metrics, scores, names, len(results))
        self.write_output(
            metrics,
            per_image=[
                dict(
                    img_path=r['img_path'],
                    num_labelled=r['num_labelled'],
                    aAcc=(
                        100.0 * r['intersect'].sum() / r['num_labelled']
                        if r['num_labelled']
                        else math.nan
                    ),
                )
                for r in results
            ],
            num_images=len(results),
            per_class=self.per_class,
        )
        return metrics

    def _log_tables(
        self,
        metrics: dict,
        scores: dict,
        names: List[str],
        num_images: int,
    ) -> None:
        """Log the per-class and the summary table (mmsegmentation style)."""
        rows = [['Class', 'IoU', 'Acc']] + [
            [name, f'{iou:.2f}', f'{acc:.2f}']
            for name, iou, acc in zip(names, scores['IoU'], scores['Acc'])
        ]
        self.log_table(rows, 'per class results (%)')
        self.log_summary(
            'Segmentation metrics (%)',
            dict(images=num_images),
            metrics,
            digits=2,
        )
        absent = [c['name'] for c in self.per_class if c['union'] == 0]
        if absent:
            rule = (
                'skipped in mIoU'
                if self.nan_to_num is None
                else f'counted as {self.nan_to_num} in mIoU'
            )
            print_log(
                f'SegMetric: {len(absent)} class(es) absent from both the '
                f'ground truth and the predictions ({rule}): '
                + self.join_shortened(absent, 10),
                logger='current',
                level=logging.WARNING,
            )
