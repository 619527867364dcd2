"""PMBANet: progressive multi-branch aggregation network for guided depth
super-resolution (Ye, Sun, Wang, Yang, Xu, Li, Li, IEEE TIP 29, 2020),
as the released code (Sunbaoli/PMBANet_DSR, ``color-guided/`` and the
depth-only ``no_color-guided/``).

The estimator composes the network up to its last HR feature map
(:class:`~mmdepthsr.models.decoders.PMBADecoder`, layer table there) and
an :class:`~mmdepthsr.models.heads.SRHead` without residual, whose
prediction conv is the release's output ``conv3x3(C -> 1)`` (no
activation, no global residual: the output is the HR depth in the units of
the input) and which owns the reconstruction loss (``loss_sr``).
"""

from typing import Dict, Optional, Sequence, Tuple

import torch

from mmdepthsr.registry import MODELS

from ..decoders.pmba_decoder import PMBA_INIT
from ..utils import rename_legacy_keys
from .base import SampleList
from .base_sr import BaseGuidedSREstimator


@MODELS.register_module()
class PMBANet(BaseGuidedSREstimator):
    """PMBANet (released code) as a guided depth SR estimator.

    ``forward_sr(img, lr) = head([decoder(img, lr)])[-1]``. Parameter
    counts of the release's used path: 13.4 M (x2), 19.2 M (x4), 35.5 M
    (x8), 58.0 M (x16) with colour guidance.

    Input: RGB / 255 (data preprocessor ``mean=0, std=255``) and the LR
    depth as the pipeline normalises it (``/255`` for 8-bit Middlebury as
    the release). The LR size must be divisible by 4.

    Args:
        scale_factor (int): 2, 4, 8 or 16.
        guided (bool): Colour-guided network; False gives the depth-only
            variant. Defaults to True.
        mid_channels (int): ``C``. Defaults to 64.
        shallow_channels (int): ``F``. Defaults to 256.
        num_stages (int, optional): ``K``. Defaults to None: 3, or 2 at x16
            (as the release).
        num_af_blocks (int): AF blocks per reconstruction branch. Defaults
            to 4.
        color_stages (Sequence[int]): 0-based stages that receive the
            colour features. Defaults to (0,).
        loss_sr (dict, optional): Reconstruction loss of the head (key
            ``loss_sr``, in metres). Defaults to None (``L1Loss``, as the
            release).
        test_cfg (dict, optional): See :class:`BaseGuidedSREstimator`.
        data_preprocessor (dict, optional): Data preprocessor config.
        init_cfg (dict, optional): Defaults to None: the decoder and the
            head's output conv start as the release
            (:data:`~mmdepthsr.models.decoders.PMBA_INIT`).

    Composition (attributes): ``decoder`` (:class:`PMBADecoder`) and
    ``head`` (:class:`SRHead`, ``residual=False``). Checkpoints of the
    self-contained layout (``depth_stem.*`` .. ``out_conv.*``) load through
    :meth:`legacy_key_map`.
    """

    default_loss_sr = None

    def __init__(
        self,
        scale_factor: int,
        guided: bool = True,
        mid_channels: int = 64,
        shallow_channels: int = 256,
        num_stages: Optional[int] = None,
        num_af_blocks: int = 4,
        color_stages: Sequence[int] = (0,),
        loss_sr: Optional[dict] = None,
        test_cfg: Optional[dict] = None,
        data_preprocessor: Optional[dict] = None,
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(
            scale_factor=scale_factor,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
        )
        self.decoder = MODELS.build(
            dict(
                type='PMBADecoder',
                scale_factor=self.scale_factor,
                guided=guided,
                channels=mid_channels,
                shallow_channels=shallow_channels,
                num_stages=num_stages,
                num_af_blocks=num_af_blocks,
                color_stages=color_stages,
            )
        )
        self.head = MODELS.build(
            dict(
                type='SRHead',
                in_channels=self.decoder.out_channels,
                residual=False,
                loss_decode=loss_sr or dict(type='L1Loss'),
                init_cfg=PMBA_INIT,
            )
        )

    def forward_sr(
        self, img: torch.Tensor, lr_depth: torch.Tensor
    ) -> torch.Tensor:
        """The network.

        Args:
            img (Tensor): ``(N, 3, H, W)`` image (RGB / 255).
            lr_depth (Tensor): ``(N, 1, H/s, W/s)`` LR depth, ``H/s`` and
                ``W/s`` divisible by 4.

        Returns:
            Tensor: ``(N, 1, H, W)`` HR depth in the units of ``lr_depth``.
        """
        return self.head([self.decoder(img, lr_depth)])[-1]

    def loss(self, inputs: torch.Tensor, data_samples: SampleList) -> Dict:
        """``{'loss_sr': ...}``: the head's reconstruction loss in metres
        for ``(N, 3, H, W)`` images and samples with ``lr_depth`` and
        ``gt_depth`` (as :meth:`BaseGuidedSREstimator.loss`)."""
        lr = self.extract_lr_depth(inputs, data_samples)
        return self.head.loss([self.decoder(inputs, lr)], data_samples)

    @classmethod
    def legacy_key_map(cls) -> Tuple[Tuple[str, str], ...]:
        """``(old prefix, new prefix)`` pairs from the self-contained
        PMBANet layout to ``decoder`` + ``head``."""
        pairs = [('out_conv.', 'head.pred_convs.0.')]
        for part in ('depth_stem.', 'color_stem.', 'stages.', 'downs.'):
            pairs.append((part, 'decoder.' + part))
        return tuple(pairs)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        """Rename the keys of a checkpoint in the old layout, then load."""
        if prefix + 'out_conv.weight' in state_dict:
            rename_legacy_keys(state_dict, prefix, self.legacy_key_map())
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


__all__ = ['PMBANet']
