"""Surface normal head (unit vectors at one or several scales)."""

from typing import Dict, Optional, Sequence, Union

import torch
import torch.nn.functional as F

from mmdepthsr.registry import MODELS

from ..utils import stack_field
from ..utils.targets import downsample_normal_gt
from .base_dense_head import BaseDenseHead, SampleList


@MODELS.register_module()
class NormalHead(BaseDenseHead):
    """Surface normals: three channels, L2-normalised per pixel at
    prediction time.

    Loss at scale ``k``: ``loss_weights[i] * loss_decode(pred_i,
    normals_k)`` with ``normals_k`` the block mean of the valid ``gt_normal``
    vectors renormalised to unit length
    (:func:`~mmdepthsr.models.utils.downsample_normal_gt`); zero vectors are
    invalid. The default loss, :class:`NormalCosineLoss`, normalises the
    prediction itself.

    Args:
        in_channels (int | Sequence[int]): Channels of each input map.
        scales (Sequence[int]): Denominators of the input maps. Defaults to
            ``(1,)``.
        loss_decode (dict, optional): Defaults to ``NormalCosineLoss``.
        loss_weights (float | Sequence[float]): Per scale. Defaults to 1.0.
        kernel_size (int): Kernel of the prediction convs. Defaults to 3.
        upsample_to_input (bool): Upsample the predictions bilinearly to
            the input size before the losses and the prediction (see
            :class:`BaseDenseHead`). Defaults to False.
        init_cfg (dict, optional): Initialisation config.
    """

    task = 'normal'
    output_kind = 'raw'
    pred_key = 'pred_normal'
    gt_key = 'gt_normal'

    def __init__(
        self,
        in_channels: Union[int, Sequence[int]],
        scales: Sequence[int] = (1,),
        loss_decode: Optional[dict] = None,
        loss_weights: Union[float, Sequence[float]] = 1.0,
        kernel_size: int = 3,
        upsample_to_input: bool = False,
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(
            in_channels=in_channels,
            out_channels=3,
            scales=scales,
            loss_decode=loss_decode or dict(type='NormalCosineLoss'),
            loss_weights=loss_weights,
            kernel_size=kernel_size,
            upsample_to_input=upsample_to_input,
            init_cfg=init_cfg,
        )

    def to_output_units(
        self, pred: torch.Tensor, data_samples: SampleList
    ) -> torch.Tensor:
        """Unit vectors (``F.normalize`` over the channels)."""
        return F.normalize(pred, dim=1, eps=1e-6)

    def loss_by_feat(
        self, preds: Sequence[torch.Tensor], data_samples: SampleList
    ) -> Dict[str, torch.Tensor]:
        """Per-scale normal losses.

        Args:
            preds (Sequence[Tensor]): ``(N, 3, H / k, W / k)`` (``k`` from
                :attr:`pred_scales`).
            data_samples (list[DenseDataSample]): With ``gt_normal`` at the
                input size.

        Returns:
            dict[str, Tensor]: ``loss_normal[_s<k>]``.
        """
        gt = stack_field(data_samples, self.gt_key).to(preds[-1])
        losses = {}
        for i, (pred, scale) in enumerate(zip(preds, self.pred_scales)):
            if self.loss_weights[i] == 0:
                continue
            target = downsample_normal_gt(gt, scale)
            losses[self.loss_key(i)] = self.loss_weights[i] * self.loss_decode(
                pred, target
            )
        return losses

    def postprocess(self, pred, data_samples, fit) -> SampleList:
        """Write ``pred_normal``, renormalised after resizing."""
        fit(pred, data_samples, key=self.pred_key, gt_key=self.gt_key)
        for sample in data_samples:
            sample.pred_normal.data = F.normalize(
                sample.pred_normal.data, dim=0, eps=1e-6
            )
        return data_samples


__all__ = ['NormalHead']
