"""Base class of every whole model (estimator)."""

from abc import ABCMeta, abstractmethod
from typing import Dict, List, Optional, Union

import torch
from mmengine.model import BaseModel
from mmengine.structures import PixelData

from mmdepthsr.structures import DenseDataSample

from ..utils import resize

SampleList = List[DenseDataSample]


class BaseDenseEstimator(BaseModel, metaclass=ABCMeta):
    """Base of the estimators: dispatches ``forward`` by mode.

    Subclasses implement :meth:`loss` (returns a dict of losses),
    :meth:`predict` (returns the data samples with ``pred_*`` fields) and
    :meth:`_forward` (raw network outputs).

    Args:
        data_preprocessor (dict, optional): Config of the
            :class:`DenseDataPreprocessor`.
        init_cfg (dict, optional): Weight initialisation config.
    """

    def __init__(
        self,
        data_preprocessor: Optional[dict] = None,
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg
        )

    def forward(
        self,
        inputs: torch.Tensor,
        data_samples: Optional[SampleList] = None,
        mode: str = 'tensor',
    ) -> Union[Dict, SampleList, object]:
        """Run the model.

        Args:
            inputs (Tensor): Normalised images ``(N, 3, H, W)``.
            data_samples (list[DenseDataSample], optional): Ground truth and
                metainfo.
            mode (str): ``'loss'``, ``'predict'`` or ``'tensor'``.
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        raise RuntimeError(
            f'Invalid mode "{mode}": expected "loss", "predict" or "tensor".'
        )

    @abstractmethod
    def loss(self, inputs: torch.Tensor, data_samples: SampleList) -> Dict:
        """Compute the losses of a batch."""

    @abstractmethod
    def predict(
        self, inputs: torch.Tensor, data_samples: Optional[SampleList] = None
    ) -> SampleList:
        """Predict a batch and write ``pred_*`` fields into the samples."""

    @abstractmethod
    def _forward(
        self, inputs: torch.Tensor, data_samples: Optional[SampleList] = None
    ):
        """Raw network outputs."""

    @staticmethod
    def ensure_samples(
        inputs: torch.Tensor, data_samples: Optional[SampleList]
    ) -> SampleList:
        """Build empty samples for a bare forward (inference without
        metainfo): the image shape is the input's shape."""
        if data_samples is not None:
            return data_samples
        shape = tuple(inputs.shape[-2:])
        return [
            DenseDataSample(
                metainfo=dict(
                    img_shape=shape, ori_shape=shape, batch_input_shape=shape
                )
            )
            for _ in range(len(inputs))
        ]

    def postprocess_dense(
        self,
        pred: torch.Tensor,
        data_samples: SampleList,
        key: str,
        gt_key: Optional[str] = 'gt_depth',
        mode: str = 'bilinear',
    ) -> SampleList:
        """Write a dense prediction into the samples at the evaluation size.

        ``pred`` ``(N, C, h, w)`` covers the padded network input
        (``batch_input_shape``). The padding is cut away in proportion, then
        the map is resized to the size of the sample's ground truth
        ``gt_key`` when present (a test pipeline may keep the ground truth at
        the original resolution), otherwise to ``ori_shape``.

        When the metainfo has ``gt_crop_box = (top, bottom, left, right)``
        (set by ``KBCrop(crop_gt=False)``: the input is a window of the
        ground truth's frame), the map is resized to that box and pasted
        into a zero canvas of the ground truth's size (else ``ori_shape``),
        as BTS evaluates KITTI; pixels outside the box are 0 (no
        prediction), which ``DepthMetric`` refuses to evaluate.

        Args:
            pred (Tensor): ``(N, C, h, w)`` prediction.
            data_samples (list[DenseDataSample]): Samples to fill.
            key (str): Output field, e.g. ``'pred_depth'``.
            gt_key (str, optional): Ground-truth field that fixes the size.
            mode (str): Interpolation mode.

        Returns:
            list[DenseDataSample]: The same samples, filled.
        """
        for i, sample in enumerate(data_samples):
            meta = sample.metainfo
            out = pred[i : i + 1]
            batch_h, batch_w = meta.get('batch_input_shape', meta['img_shape'])
            img_h, img_w = meta['img_shape'][:2]
            if (img_h, img_w) != (batch_h, batch_w):
                keep_h = round(out.shape[-2] * img_h / batch_h)
                keep_w = round(out.shape[-1] * img_w / batch_w)
                out = out[..., :keep_h, :keep_w]
            if gt_key is not None and gt_key in sample:
                size = getattr(sample, gt_key).data.shape[-2:]
            else:
                size = meta.get('ori_shape', (img_h, img_w))[:2]
            box = meta.get('gt_crop_box')
            if box is None:
                out = resize(out, size, mode=mode)
            else:
                out = self._paste(
                    out, size, box, mode, meta.get('img_path', '?')
                )
            setattr(sample, key, PixelData(data=out[0]))
        return data_samples

    @staticmethod
    def _paste(
        out: torch.Tensor, size, box, mode: str, name: str
    ) -> torch.Tensor:
        """Resize ``out`` ``(1, C, h, w)`` to ``box`` (``mode``) and paste
        it into a zero canvas of ``size``."""
        top, bottom, left, right = (int(b) for b in box)
        height, width = (int(s) for s in size)
        if not (0 <= top < bottom <= height and 0 <= left < right <= width):
            raise ValueError(
                f'{name}: gt_crop_box (top, bottom, left, right) = '
                f'{tuple(box)} does not lie inside the {height} x {width} '
                'ground truth.'
            )
        canvas = out.new_zeros((*out.shape[:2], height, width))
        canvas[..., top:bottom, left:right] = resize(
            out, (bottom - top, right - left), mode=mode
        )
        return canvas
