"""CLIFFNet: ResNet-50 + FPN + cross-level identity feature fusion.

Paper: L. Wang, J. Zhang, Y. Wang, H. Lu, X. Ruan, "CLIFFNet for Monocular
Depth Estimation with Hierarchical Embedding Loss", ECCV 2020; official code
scott89/CLIFFNet. The network regresses metric depth (metres) at the input
size. The estimator composes backbone
(:class:`~mmdepthsr.models.backbones.ResNet`, Caffe style) ->
:class:`~mmdepthsr.models.necks.FPN` (with BN) ->
:class:`~mmdepthsr.models.decoders.CLIFFDecoder` ->
:class:`~mmdepthsr.models.heads.CLIFFHead`; the head owns the last conv,
the upsampling to the input size and the losses.

Losses: the head's ``loss_decode`` modules, each called as
``loss(pred, gt_depth)`` with ``(N, 1, H, W)`` maps (0 = invalid ground
truth), keys ``loss_depth_<detail>``: the pixel ``L1Loss`` alone
(``loss_depth_l1``), or together with the ``HierarchicalEmbeddingLoss`` of
the paper (``loss_depth_0_l1``, ``loss_depth_heg``).

Input: the release feeds BGR images minus (102.98, 115.95, 122.77) (no std
division). Configs do this with ``DenseDataPreprocessor(mean=[102.98,
115.95, 122.77], std=[1, 1, 1], bgr_to_rgb=True)``: the loaders give RGB,
and the preprocessor's channel swap (first <-> last) turns it into BGR
before the mean is subtracted.
"""

from typing import Dict, Optional, Sequence, Tuple, Union

import torch

from mmdepthsr.registry import MODELS

from ..utils import rename_legacy_keys
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
        loss_decode (dict | list[dict], optional): Loss config(s) of the
            head, summed (see :class:`CLIFFHead` for their keys). Defaults
            to ``[dict(type='L1Loss')]`` (masked over GT > 0).
        train_cfg (dict, optional): Unused; kept for the config layout.
        test_cfg (dict, optional): ``clamp=(min, max)`` clips the predicted
            depth at test time (release: ``(0, 10)`` m for NYU). Defaults to
            None (no clipping).
        align_corners (bool): Of the head's resizes (to the input size, and
            to the ground truth in the loss when the sizes differ).
            Defaults to False.
        data_preprocessor (dict, optional): Config of the
            ``DenseDataPreprocessor`` (see the module docstring).
        init_cfg (dict, optional): Initialisation config.

    Composition (attributes): ``backbone``, ``neck``, ``decoder`` and
    ``head`` (:class:`CLIFFHead`, ``in_channels`` from the decoder).
    Checkpoints of the self-contained layout (``decoder.head.*``,
    ``loss_decode.*``) load through :meth:`legacy_key_map`.
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
        self.head = MODELS.build(
            dict(
                type='CLIFFHead',
                in_channels=self.decoder.out_channels,
                loss_decode=loss_decode,
                align_corners=align_corners,
            )
        )
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

    def extract_feat(self, img: torch.Tensor) -> torch.Tensor:
        """Decoder features ``(N, C, H / 4, W / 4)`` of normalised images
        ``(N, 3, H, W)``."""
        if img.dim() != 4:
            raise ValueError(
                'CLIFFNet: expected (N, C, H, W) images, got '
                f'{tuple(img.shape)}.'
            )
        return self.decoder(self.neck(self.backbone(img)))

    def forward_depth(self, img: torch.Tensor) -> torch.Tensor:
        """Predict depth at the input size.

        Args:
            img (Tensor): ``(N, 3, H, W)`` normalised images.

        Returns:
            Tensor: ``(N, 1, H, W)`` depth (metres, or the units of the
            targets the model is trained on), not clipped.
        """
        size = tuple(img.shape[-2:])
        return self.head([self.extract_feat(img)], out_size=size)[-1]

    def loss(self, inputs: torch.Tensor, data_samples: SampleList) -> Dict:
        """The head's losses on ``gt_depth``.

        Args:
            inputs (Tensor): ``(N, 3, H, W)`` normalised images.
            data_samples (list[DenseDataSample]): With ``gt_depth``.

        Returns:
            dict[str, Tensor]: ``loss_depth_<detail>`` per loss.
        """
        return self.head.loss(
            [self.extract_feat(inputs)],
            data_samples,
            out_size=tuple(inputs.shape[-2:]),
        )

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
        pred = self.head.predict(
            [self.extract_feat(inputs)],
            data_samples,
            out_size=tuple(inputs.shape[-2:]),
        )
        clamp = self.test_cfg.get('clamp')
        if clamp is not None:
            pred = pred.clamp(*clamp)
        return self.head.postprocess(
            pred, data_samples, self.postprocess_dense
        )

    def _forward(
        self, inputs: torch.Tensor, data_samples: Optional[SampleList] = None
    ) -> torch.Tensor:
        """``(N, 1, H, W)`` depth at the input size (not clipped)."""
        return self.forward_depth(inputs)

    @classmethod
    def legacy_key_map(cls) -> Tuple[Tuple[str, str], ...]:
        """``(old prefix, new prefix)`` pairs from the self-contained
        CLIFFNet layout (prediction head in the decoder, losses at the
        top) to the composed one."""
        return (
            ('decoder.head.0.', 'decoder.head_conv.'),
            ('decoder.head.1.', 'head.pred_convs.0.'),
            ('loss_decode.', 'head.loss_decode.'),
        )

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        """Rename the keys of a checkpoint in the old layout, then load."""
        if prefix + 'decoder.head.1.weight' in state_dict:
            rename_legacy_keys(state_dict, prefix, self.legacy_key_map())
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
