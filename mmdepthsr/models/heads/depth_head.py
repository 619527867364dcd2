"""Depth and depth super-resolution heads.

:class:`DepthHead` predicts depth from decoder features; :class:`SRHead`
predicts the HR depth of guided super-resolution as a residual over the
upsampled LR depth. Both predict in the normalised units of the network
input (the grid-patch protocol divides each LR patch by its maximum; see
:mod:`mmdepthsr.structures.depth_norm`) and compute their losses in metres
after de-normalising with each sample's ``depth_norm_min`` /
``depth_norm_max``, against ``gt_depth`` brought to every scale by
:func:`~mmdepthsr.models.utils.downsample_depth_gt`.
"""

from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F

from mmdepthsr.registry import MODELS
from mmdepthsr.structures.depth_norm import denormalize_depth

from ..utils import stack_field
from ..utils.targets import GT_DOWNSAMPLE_MODES, downsample_depth_gt
from .base_dense_head import BaseDenseHead, SampleList


@MODELS.register_module()
class DepthHead(BaseDenseHead):
    """Depth prediction at one or several scales (deep supervision).

    ``pred_i = conv(feats_i)`` (``(N, 1, h_i, w_i)``, normalised units).
    Loss at scale ``k``: ``loss_weights[i] * loss_decode(denorm(pred_i),
    gt_k)`` with ``gt_k`` = ``gt_depth`` (metres, 0 = invalid) downsampled
    by ``k`` (``gt_downsample``: the masked block mean by default). With
    ``upsample_to_input`` the predictions are upsampled bilinearly to the
    input size and compared with ``gt_depth`` itself.

    Args:
        in_channels (int | Sequence[int]): Channels of each input map.
        scales (Sequence[int]): Denominators of the input maps. Defaults to
            ``(1,)``.
        loss_decode (dict, optional): Depth loss. Defaults to ``L1Loss``
            (mean absolute error over the valid pixels, metres).
        loss_weights (float | Sequence[float]): Per scale. Defaults to 1.0.
        gt_downsample (str): ``'masked_mean'`` or ``'nearest'``. Defaults to
            ``'masked_mean'``.
        kernel_size (int): Kernel of the prediction convs. Defaults to 3.
        zero_init (bool): Zero-initialised prediction convs. Defaults to
            False.
        upsample_to_input (bool): Upsample the predictions bilinearly to
            the input size before the losses and the prediction (see
            :class:`BaseDenseHead`). Defaults to False.
        init_cfg (dict, optional): Initialisation config.

    Examples:
        >>> head = DepthHead(8, scales=(2, 1))
        >>> feats = [torch.zeros(1, 8, 4, 4), torch.zeros(1, 8, 8, 8)]
        >>> [tuple(p.shape) for p in head(feats)]
        [(1, 1, 4, 4), (1, 1, 8, 8)]
    """

    task = 'depth'
    output_kind = 'depth'
    pred_key = 'pred_depth'
    gt_key = 'gt_depth'

    def __init__(
        self,
        in_channels: Union[int, Sequence[int]],
        scales: Sequence[int] = (1,),
        loss_decode: Optional[dict] = None,
        loss_weights: Union[float, Sequence[float]] = 1.0,
        gt_downsample: str = 'masked_mean',
        kernel_size: int = 3,
        zero_init: bool = False,
        upsample_to_input: bool = False,
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(
            in_channels=in_channels,
            out_channels=1,
            scales=scales,
            loss_decode=loss_decode or dict(type='L1Loss'),
            loss_weights=loss_weights,
            kernel_size=kernel_size,
            zero_init=zero_init,
            upsample_to_input=upsample_to_input,
            init_cfg=init_cfg,
        )
        if gt_downsample not in GT_DOWNSAMPLE_MODES:
            raise ValueError(
                f'{type(self).__name__}: gt_downsample must be one of '
                f'{GT_DOWNSAMPLE_MODES}, got {gt_downsample!r}.'
            )
        self.gt_downsample = gt_downsample

    def to_output_units(
        self, pred: torch.Tensor, data_samples: SampleList
    ) -> torch.Tensor:
        """Normalised depth to metres with each sample's statistics."""
        return denormalize_depth(pred, data_samples)

    def loss_by_feat(
        self, preds: Sequence[torch.Tensor], data_samples: SampleList
    ) -> Dict[str, torch.Tensor]:
        """Per-scale losses in metres.

        Args:
            preds (Sequence[Tensor]): ``(N, 1, H / k, W / k)`` per scale
                (``k`` from :attr:`pred_scales`).
            data_samples (list[DenseDataSample]): With ``gt_depth`` at the
                input size ``(H, W)``.

        Returns:
            dict[str, Tensor]: ``loss_<task>[_s<k>]``, scales with weight 0
            left out.

        Raises:
            ValueError: If the ground truth is not ``scale`` times the size
                of a prediction.
        """
        gt = stack_field(data_samples, self.gt_key).to(preds[-1])
        losses = {}
        for i, (pred, scale) in enumerate(zip(preds, self.pred_scales)):
            if self.loss_weights[i] == 0:
                continue
            expected = tuple(scale * v for v in pred.shape[-2:])
            if tuple(gt.shape[-2:]) != expected:
                raise ValueError(
                    f'{type(self).__name__}: {self.gt_key} batch '
                    f'{tuple(gt.shape)} does not match the scale-{scale} '
                    f'prediction {tuple(pred.shape)} (expected size '
                    f'{expected}); training ground truth must have the '
                    'input size.'
                )
            target = downsample_depth_gt(gt, scale, self.gt_downsample)
            pred = denormalize_depth(pred, data_samples)
            losses[self.loss_key(i)] = self.loss_weights[i] * self.loss_decode(
                pred, target
            )
        return losses


@MODELS.register_module()
class SRHead(DepthHead):
    """Guided depth super-resolution head: a residual over the upsampled LR
    depth.

    ``pred_i = conv(feats_i) + avgpool_k(lr_up)`` with ``lr_up`` the LR
    depth upsampled to the input size (by the estimator) and ``k =
    scales[i]`` (``residual=True``); else ``pred_i = conv(feats_i)``. With
    ``upsample_to_input`` the conv output is upsampled to the input size
    first and ``lr_up`` itself is added. With
    the residual the prediction convs start at zero, so the untrained head
    returns the upsampled LR depth, the baseline training starts from.
    Losses and de-normalisation as :class:`DepthHead`, key ``loss_sr[_s<k>]``;
    :meth:`postprocess` writes ``pred_sr_depth``.

    Args:
        in_channels (int | Sequence[int]): Channels of each input map.
        scales (Sequence[int]): Denominators of the input maps. Defaults to
            ``(1,)``.
        residual (bool): Predict a residual over the upsampled LR depth.
            Defaults to True.
        zero_init (bool, optional): Zero-initialised prediction convs;
            defaults to ``residual``.
        **kwargs: ``loss_decode``, ``loss_weights``, ``gt_downsample``,
            ``kernel_size``, ``upsample_to_input``, ``init_cfg`` as
            :class:`DepthHead`.
    """

    task = 'sr'
    pred_key = 'pred_sr_depth'

    def __init__(
        self,
        in_channels: Union[int, Sequence[int]],
        scales: Sequence[int] = (1,),
        residual: bool = True,
        zero_init: Optional[bool] = None,
        **kwargs,
    ):
        self.residual = bool(residual)
        super().__init__(
            in_channels=in_channels,
            scales=scales,
            zero_init=self.residual if zero_init is None else zero_init,
            **kwargs,
        )

    def forward(
        self,
        feats: Sequence[torch.Tensor],
        lr_depth: Optional[torch.Tensor] = None,
        **kwargs,
    ) -> List[torch.Tensor]:
        """Per-scale SR depth.

        Args:
            feats (Sequence[Tensor]): ``(N, C_i, H / k_i, W / k_i)``.
            lr_depth (Tensor, optional): ``(N, 1, H, W)`` LR depth already
                upsampled to the input size (normalised units); required
                with ``residual=True``.

        Returns:
            list[Tensor]: ``(N, 1, H / k_i, W / k_i)``, normalised units.
        """
        preds = super().forward(feats)
        if not self.residual:
            return preds
        if lr_depth is None:
            raise ValueError(
                f'{type(self).__name__}: residual=True needs the upsampled '
                '`lr_depth`.'
            )
        out = []
        for pred, scale in zip(preds, self.pred_scales):
            base = F.avg_pool2d(lr_depth, scale) if scale > 1 else lr_depth
            out.append(pred + base)
        return out


__all__ = ['DepthHead', 'SRHead']
