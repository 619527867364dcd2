"""Semantic segmentation head (logits at one or several scales)."""

from typing import Dict, Optional, Sequence, Union

import torch
from mmengine.structures import PixelData

from mmdepthsr.registry import MODELS

from ..utils import stack_field
from ..utils.targets import subsample_labels
from .base_dense_head import BaseDenseHead, SampleList


@MODELS.register_module()
class SegHead(BaseDenseHead):
    """Per-pixel class logits; ``pred_sem_seg`` is their argmax.

    Loss at scale ``k``: ``loss_weights[i] * loss_decode(logits_i,
    labels_k)`` with ``labels_k`` the pixel at offset ``k // 2`` of every
    ``k x k`` block of ``gt_sem_seg`` (class ids are never averaged;
    ``ignore_index`` pixels stay ignored). With ``upsample_to_input`` the
    logits are upsampled bilinearly to the label size instead (DeepLab).

    Args:
        in_channels (int | Sequence[int]): Channels of each input map.
        num_classes (int): Number of classes (>= 2).
        scales (Sequence[int]): Denominators of the input maps. Defaults to
            ``(1,)``.
        ignore_index (int): Label of unlabelled pixels. Defaults to 255.
        loss_decode (dict, optional): Defaults to ``CrossEntropyLoss`` with
            ``ignore_index``.
        loss_weights (float | Sequence[float]): Per scale. Defaults to 1.0.
        kernel_size (int): Kernel of the prediction convs. Defaults to 3.
        upsample_to_input (bool): Upsample the predictions bilinearly to
            the input size before the losses and the prediction (see
            :class:`BaseDenseHead`). Defaults to False.
        init_cfg (dict, optional): Initialisation config.
    """

    task = 'seg'
    output_kind = 'raw'
    pred_key = 'seg_logits'
    gt_key = 'gt_sem_seg'

    def __init__(
        self,
        in_channels: Union[int, Sequence[int]],
        num_classes: int,
        scales: Sequence[int] = (1,),
        ignore_index: int = 255,
        loss_decode: Optional[dict] = None,
        loss_weights: Union[float, Sequence[float]] = 1.0,
        kernel_size: int = 3,
        upsample_to_input: bool = False,
        init_cfg: Optional[dict] = None,
    ):
        if (
            not isinstance(num_classes, int)
            or isinstance(num_classes, bool)
            or num_classes < 2
        ):
            raise ValueError(
                f'{type(self).__name__}: num_classes must be an integer >= '
                f'2, got {num_classes!r}.'
            )
        super().__init__(
            in_channels=in_channels,
            out_channels=num_classes,
            scales=scales,
            loss_decode=loss_decode
            or dict(type='CrossEntropyLoss', ignore_index=ignore_index),
            loss_weights=loss_weights,
            kernel_size=kernel_size,
            upsample_to_input=upsample_to_input,
            init_cfg=init_cfg,
        )
        self.num_classes = num_classes
        self.ignore_index = ignore_index

    def loss_by_feat(
        self, preds: Sequence[torch.Tensor], data_samples: SampleList
    ) -> Dict[str, torch.Tensor]:
        """Per-scale cross-entropy.

        Args:
            preds (Sequence[Tensor]): ``(N, num_classes, H / k, W / k)``
                (``k`` from :attr:`pred_scales`).
            data_samples (list[DenseDataSample]): With ``gt_sem_seg`` at the
                input size.

        Returns:
            dict[str, Tensor]: ``loss_seg[_s<k>]``.
        """
        labels = stack_field(data_samples, self.gt_key).to(
            preds[-1].device, torch.long
        )
        losses = {}
        for i, (pred, scale) in enumerate(zip(preds, self.pred_scales)):
            if self.loss_weights[i] == 0:
                continue
            target = subsample_labels(labels, scale)
            losses[self.loss_key(i)] = self.loss_weights[i] * self.loss_decode(
                pred, target
            )
        return losses

    def postprocess(self, pred, data_samples, fit) -> SampleList:
        """Write ``seg_logits`` and their argmax ``pred_sem_seg``."""
        fit(pred, data_samples, key=self.pred_key, gt_key=self.gt_key)
        return write_pred_sem_seg(data_samples)


def write_pred_sem_seg(data_samples: SampleList) -> SampleList:
    """Write ``pred_sem_seg`` ``(1, H, W)``, the argmax of each sample's
    ``seg_logits`` ``(C, H, W)``.

    Args:
        data_samples (list[DenseDataSample]): Samples with ``seg_logits``.

    Returns:
        list[DenseDataSample]: The same samples with ``pred_sem_seg``.
    """
    for sample in data_samples:
        sample.pred_sem_seg = PixelData(
            data=sample.seg_logits.data.argmax(0, keepdim=True)
        )
    return data_samples


__all__ = ['SegHead', 'write_pred_sem_seg']
