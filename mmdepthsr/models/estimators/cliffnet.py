"""CLIFFNet: ResNet-50 + FPN + cross-level identity feature fusion.

Paper: L. Wang, J. Zhang, Y. Wang, H. Lu, X. Ruan, "CLIFFNet for Monocular
Depth Estimation with Hierarchical Embedding Loss", ECCV 2020; official code
scott89/CLIFFNet. The network regresses metric depth (metres) at the input
size: backbone (:class:`~mmdepthsr.models.backbones.ResNet`, Caffe style)
-> :class:`~mmdepthsr.models.necks.FPN` (with BN) ->
:class:`~mmdepthsr.models.decoders.CLIFFDecoder`.

Losses: the ``loss_decode`` modules are summed, each called as
``loss(pred, gt_depth)`` with ``(N, 1, H, W)`` maps (0 = invalid ground
truth): the pixel ``L1Loss`` alone, or together with the
``HierarchicalEmbeddingLoss`` of the paper.

Input: the release feeds BGR images minus (102.98, 115.95, 122.77) (no std
division). Configs do this with ``DenseDataPreprocessor(mean=[102.98,
115.95, 122.77], std=[1, 1, 1], bgr_to_rgb=True)``: the loaders give RGB,
and the preprocessor's channel swap (first <-> last) turns it into BGR
before the mean is subtracted.
"""

from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn

from mmdepthsr.registry import MODELS

from ..utils import resize, stack_field
from .base import BaseDenseEstimator, SampleList

__all__ = ['CLIFFNet']


@MODELS.register_module()
class CLIFFNet(BaseDenseEstimator):
    """CLIFFNet monocular depth estimator.

    Args:
        backbone (dict): Config of the encoder returning res2..res5, e.g.
            ``dict(type='ResNet', depth=50, style='caffe')``.
        neck (dict): Config of the pyramid, e.g. ``dict(type='FPN',
            in_channels=(256, 512, 1024, 2048), out_channels=256)``.
        decoder (dict): Config of :class:`CLIFFDecoder`.
        loss_decode (dict | list[dict], optional): Loss config(s), summed.
            Each loss is called as ``loss(pred, gt_depth)``; its result is
            logged under its ``loss_name`` attribute when it has one, else
            ``loss_<index>_<class>`` (``loss_l1`` for a lone ``L1Loss``).
            Defaults to ``[dict(type='L1Loss')]`` (masked over GT > 0).
        train_cfg (dict, optional): Unused; kept for the config layout.
        test_cfg (dict, optional): ``clamp=(min, max)`` clips the predicted
            depth at test time (release: ``(0, 10)`` m for NYU). Defaults to
            None (no clipping).
        align_corners (bool): Of the resize of the prediction to the ground
            truth in the loss, when their sizes differ. Defaults to False.
        data_preprocessor (dict, optional): Config of the
            ``DenseDataPreprocessor`` (see the module docstring).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(
        self,
        backbone: Dict,
        neck: Dict,
        decoder: Dict,
        loss_decode: Optional[Union[Dict, Sequence[Dict]]] = None,
        train_cfg: Optional[Dict] = None,
        test_cfg: Optional[Dict] = None,
        align_corners: bool = False,
        data_preprocessor: Optional[Dict] = None,
        init_cfg: Optional[Dict] = None,
    ):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg
        )
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        self.decoder = MODELS.build(decoder)
        if loss_decode is None:
            loss_decode = [dict(type='L1Loss')]
        elif isinstance(loss_decode, dict):
            loss_decode = [loss_decode]
        if not loss_decode:
            raise ValueError('CLIFFNet: `loss_decode` must not be empty.')
        self.loss_decode = nn.ModuleList(
            MODELS.build(cfg) for cfg in loss_decode
        )
        self.loss_names = self._loss_names(self.loss_decode)
        self.train_cfg = dict(train_cfg or {})
        self.test_cfg = dict(test_cfg or {})
        clamp = self.test_cfg.get('clamp')
        if clamp is not None:
            if len(clamp) != 2 or not clamp[0] < clamp[1]:
                raise ValueError(
                    'CLIFFNet: test_cfg.clamp must be (min, max) with min < '
                    f'max, got {clamp}.'
                )
            self.test_cfg['clamp'] = (float(clamp[0]), float(clamp[1]))
        self.align_corners = align_corners

    @staticmethod
    def _loss_names(losses: nn.ModuleList) -> List[str]:
        names = []
        for i, loss in enumerate(losses):
            name = getattr(loss, 'loss_name', None)
            if name is None:
                cls = type(loss).__name__.lower().replace('loss', '')
                name = f'loss_{cls}' if len(losses) == 1 else f'loss_{i}_{cls}'
            names.append(str(name))
        if len(set(names)) != len(names):
            raise ValueError(
                f'CLIFFNet: the losses would be logged under duplicate names '
                f'{names}; give them distinct `loss_name`s.'
            )
        return names

    def forward_depth(self, img: torch.Tensor) -> torch.Tensor:
        """Predict depth at the input size.

        Args:
            img (Tensor): ``(N, 3, H, W)`` normalised images.

        Returns:
            Tensor: ``(N, 1, H, W)`` depth (metres, or the units of the
            targets the model is trained on), not clipped.
        """
        if img.dim() != 4:
            raise ValueError(
                'CLIFFNet: expected (N, C, H, W) images, got '
                f'{tuple(img.shape)}.'
            )
        feats = self.neck(self.backbone(img))
        return self.decoder(feats, tuple(img.shape[-2:]))

    def loss(self, inputs: torch.Tensor, data_samples: SampleList) -> Dict:
        """Sum of ``loss_decode`` on ``gt_depth``.

        Args:
            inputs (Tensor): ``(N, 3, H, W)`` normalised images.
            data_samples (list[DenseDataSample]): With ``gt_depth``.

        Returns:
            dict[str, Tensor]: One entry per loss.
        """
        pred = self.forward_depth(inputs)
        gt = stack_field(data_samples, 'gt_depth').to(pred)
        pred = resize(
            pred,
            gt.shape[-2:],
            mode='bilinear',
            align_corners=self.align_corners,
        )
        return {
            name: loss(pred, gt)
            for name, loss in zip(self.loss_names, self.loss_decode)
        }

    def predict(
        self, inputs: torch.Tensor, data_samples: Optional[SampleList] = None
    ) -> SampleList:
        """Predict ``pred_depth`` (clipped to ``test_cfg.clamp``) at the
        ground-truth size (else ``ori_shape``).

        Args:
            inputs (Tensor): ``(N, 3, H, W)`` normalised images.
            data_samples (list[DenseDataSample], optional): Metainfo.

        Returns:
            list[DenseDataSample]: The samples with ``pred_depth``.
        """
        data_samples = self.ensure_samples(inputs, data_samples)
        pred = self.forward_depth(inputs)
        clamp = self.test_cfg.get('clamp')
        if clamp is not None:
            pred = pred.clamp(*clamp)
        return self.postprocess_dense(pred, data_samples, 'pred_depth')

    def _forward(
        self, inputs: torch.Tensor, data_samples: Optional[SampleList] = None
    ) -> torch.Tensor:
        """``(N, 1, H, W)`` depth at the input size (not clipped)."""
        return self.forward_depth(inputs)
