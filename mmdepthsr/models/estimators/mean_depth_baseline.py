"""The constant mean-depth predictor: the floor every depth model must beat.

It predicts, for every pixel of every image, one number: the mean of the
valid ground-truth depth over the training set (pixels pooled over all
images). It is the "Mean" column of Eigen, Puhrsch & Fergus, "Depth Map
Prediction from a Single Image using a Multi-Scale Deep Network", NIPS 2014,
table 1, and what the quick start compares a trained model to.
"""

import math
from typing import Dict, Iterable, Optional, Union

import numpy as np
import torch
from mmengine.structures import BaseDataElement

from mmdepthsr.registry import DATASETS, MODELS

from .base import BaseDenseEstimator, SampleList


def _gt_depth_of(item, index: int) -> np.ndarray:
    """The ground-truth depth map of one dataset item as a numpy array.

    ``item`` is what ``dataset[index]`` returns: the packed
    ``dict(inputs=..., data_samples=DenseDataSample)``, a raw ``results``
    dict with ``gt_depth`` (empty pipeline), or a data sample.
    """
    sample = item
    if isinstance(item, dict) and 'data_samples' in item:
        sample = item['data_samples']
    if isinstance(sample, BaseDataElement):
        name = sample.metainfo.get('img_path', f'sample {index}')
        if 'gt_depth' not in sample:
            raise KeyError(
                f'fit_mean_depth: {name} has no `gt_depth`; the dataset '
                'pipeline must load the ground-truth depth.'
            )
        depth = sample.gt_depth.data
    elif isinstance(item, dict):
        name = item.get('img_path', f'sample {index}')
        if 'gt_depth' not in item:
            raise KeyError(
                f'fit_mean_depth: {name} has no `gt_depth` (keys: '
                f'{sorted(item)}); the pipeline must load it.'
            )
        depth = item['gt_depth']
    else:
        raise TypeError(
            f'fit_mean_depth: sample {index} is a {type(item).__name__}; '
            'expected a dict with `data_samples` or `gt_depth`, or a '
            'DenseDataSample.'
        )
    if isinstance(depth, torch.Tensor):
        depth = depth.detach().cpu().numpy()
    depth = np.asarray(depth, dtype=np.float64)
    if not np.isfinite(depth).all():
        raise ValueError(
            f'fit_mean_depth: `gt_depth` of {name} holds NaN or inf; '
            'invalid pixels must be 0.'
        )
    return depth


def fit_mean_depth(dataset: Union[Iterable, dict]) -> float:
    """Mean of the valid ground-truth depth over a dataset.

    Valid pixels (depth > 0) of every sample are pooled, so that each pixel
    has the same weight (the training-set mean a constant predictor
    would learn under an L2 loss).

    Args:
        dataset (Sequence | dict): A dataset (``len`` and ``[i]``), any
            iterable of samples, or a dataset config built through
            ``DATASETS``. Each sample carries ``gt_depth``: a packed
            ``DenseDataSample``, or a raw results dict (empty pipeline).

    Returns:
        float: The mean depth in metres.

    Raises:
        ValueError: If no sample has a valid pixel, or a depth map holds
            NaN/inf.
        KeyError: If a sample has no ``gt_depth``.
    """
    if isinstance(dataset, dict):
        dataset = DATASETS.build(dataset)
    if hasattr(dataset, '__len__') and hasattr(dataset, '__getitem__'):
        items = (dataset[i] for i in range(len(dataset)))
    else:
        items = iter(dataset)
    total, count = 0.0, 0
    for index, item in enumerate(items):
        depth = _gt_depth_of(item, index)
        valid = depth > 0
        total += float(depth[valid].sum())
        count += int(valid.sum())
    if count == 0:
        raise ValueError(
            'fit_mean_depth: the dataset has no valid ground-truth depth '
            'pixel (all are 0 or it is empty).'
        )
    return total / count


@MODELS.register_module()
class MeanDepthBaseline(BaseDenseEstimator):
    """Predict one constant depth everywhere.

    The constant is usually the training-set mean from
    :func:`fit_mean_depth` (see :meth:`from_dataset`). It is kept as a
    buffer, so that it is saved in and loaded from checkpoints. The model
    has no trainable parameter: it is fitted, not trained.

    Args:
        mean_depth (float, optional): The predicted depth in metres. None
            leaves the model unfitted (a checkpoint can fill it);
            :meth:`predict` then raises.
        data_preprocessor (dict, optional): Config of the
            :class:`DenseDataPreprocessor`.
        init_cfg (dict, optional): Unused; kept for the common signature.

    Examples:
        >>> import torch
        >>> model = MeanDepthBaseline(mean_depth=2.5)
        >>> model(torch.zeros(2, 3, 4, 6)).shape
        torch.Size([2, 1, 4, 6])
    """

    def __init__(
        self,
        mean_depth: Optional[float] = None,
        data_preprocessor: Optional[dict] = None,
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg
        )
        value = math.nan if mean_depth is None else float(mean_depth)
        if mean_depth is not None and not (math.isfinite(value) and value > 0):
            raise ValueError(
                'MeanDepthBaseline: `mean_depth` must be a positive finite '
                f'depth in metres, got {mean_depth}.'
            )
        self.register_buffer('mean_depth', torch.tensor(value))

    @classmethod
    def from_dataset(
        cls, dataset: Union[Iterable, dict], **kwargs
    ) -> 'MeanDepthBaseline':
        """Build the baseline fitted on ``dataset`` (see
        :func:`fit_mean_depth`); ``kwargs`` go to the constructor."""
        return cls(mean_depth=fit_mean_depth(dataset), **kwargs)

    def _forward(
        self, inputs: torch.Tensor, data_samples: Optional[SampleList] = None
    ) -> torch.Tensor:
        """The constant map at the input size.

        Args:
            inputs (Tensor): ``(N, 3, H, W)`` images (only the shape is
                used).

        Returns:
            Tensor: ``(N, 1, H, W)`` depth in metres.
        """
        if torch.isnan(self.mean_depth):
            raise RuntimeError(
                'MeanDepthBaseline is not fitted: give `mean_depth`, use '
                '`MeanDepthBaseline.from_dataset`, or load a checkpoint.'
            )
        n, _, h, w = inputs.shape
        return self.mean_depth.to(inputs).expand(n, 1, h, w).clone()

    def predict(
        self, inputs: torch.Tensor, data_samples: Optional[SampleList] = None
    ) -> SampleList:
        """Write the constant ``pred_depth`` at each sample's GT size.

        Args:
            inputs (Tensor): ``(N, 3, H, W)`` images.
            data_samples (list[DenseDataSample], optional): Samples to fill.

        Returns:
            list[DenseDataSample]: Samples with ``pred_depth`` ``(1, H, W)``.
        """
        samples = self.ensure_samples(inputs, data_samples)
        # Nearest resizing keeps the constant exact (bilinear weights sum
        # to 1 only up to rounding).
        return self.postprocess_dense(
            self._forward(inputs), samples, key='pred_depth', mode='nearest'
        )

    def loss(self, inputs: torch.Tensor, data_samples: SampleList) -> Dict:
        """The baseline is fitted with :func:`fit_mean_depth`, not trained."""
        raise NotImplementedError(
            'MeanDepthBaseline has nothing to train; fit it with '
            '`fit_mean_depth(dataset)` / `MeanDepthBaseline.from_dataset`.'
        )
