"""Depth-to-semantic (D2S) unit of SOSD-Net.

Source: L. He, J. Lu, G. Wang, S. Song, J. Zhou, "SOSD-Net: Joint Semantic
Object Segmentation and Depth Estimation from Monocular images",
arXiv 2101.07422, 2021. The paper describes the unit as "64 and 32 channel
convs, pixel-wise multiply, 1x1 conv 32, concat, conv"; no public code
exists. Choices made here (all configurable): the 64/32 convs act on the
depth cue ``guide`` (depth features, or the predicted depth map with
``guide_channels=1``); the semantic features are projected to 32 channels
by a 1x1 conv so that the pixel-wise product is defined; kernel sizes of
the 64/32 convs and of the last conv are 3 (not given in the paper).

Data flow for ``channels = guide_channels = 256``, defaults
``mid_channels = (64, 32)``, ``out_channels = channels``,
``scale_factor = 1``:

========  ==========================================  ===================
layer     op                                          output shape
========  ==========================================  ===================
guide     bilinear resize to x's size (if needed)     (N, 256, H, W)
depth_cue conv k x k 256->64, ReLU,                   (N, 32, H, W)
          conv k x k 64->32, ReLU (on guide)
sem_proj  conv 1x1 256->32, ReLU (on x)               (N, 32, H, W)
product   depth_cue * sem_proj                        (N, 32, H, W)
mix       conv 1x1 32->32, ReLU                       (N, 32, H, W)
concat    [x, mix]                                    (N, 288, H, W)
fuse      conv k x k 288->out_channels                (N, 256, H, W)
upsample  bilinear x scale_factor (skipped for 1)     (N, 256, H, W)
========  ==========================================  ===================

SOSD-Net's semantic prediction is ``out_channels=num_classes,
scale_factor=4``. With ``context_channels`` set, the second factor of the
product comes from a shared ``context`` map (SOSD-Net's common
representation) through two convs of ``mid_channels`` (``size_prior``,
replacing ``sem_proj``), as the paper describes the "3D latent" path. With
``fuse=False`` the unit returns the concatenation ``(N, 288, H, W)`` and
the prediction conv of a segmentation head plays the role of the paper's
last conv.
"""

from typing import Optional, Sequence

import torch
from torch import nn

from mmdepthsr.registry import MODELS

from .base import BaseInteractionUnit

__all__ = ['DepthToSemantic']


def _two_convs(
    in_channels: int, widths: Sequence[int], kernel_size: int
) -> nn.Sequential:
    """Two ``k x k`` convs with ReLU, ``in_channels -> widths[0] ->
    widths[1]``."""
    wide, narrow = widths
    pad = kernel_size // 2
    return nn.Sequential(
        nn.Conv2d(in_channels, wide, kernel_size, padding=pad),
        nn.ReLU(inplace=True),
        nn.Conv2d(wide, narrow, kernel_size, padding=pad),
        nn.ReLU(inplace=True),
    )


@MODELS.register_module()
class DepthToSemantic(BaseInteractionUnit):
    """SOSD-Net depth-to-semantic unit: refine semantics with depth cues.

    Args:
        channels (int): Channels of the semantic features ``x``.
        guide_channels (int): Channels of the depth cue ``guide`` (depth
            features, or 1 for a predicted depth map).
        mid_channels (Sequence[int]): Widths of the two depth-cue convs; the
            second is also the width of the product. Defaults to (64, 32).
        kernel_size (int): Kernel size of the depth-cue convs; not given in
            the paper, 3 by default.
        fuse_kernel_size (int): Kernel size of the conv after the
            concatenation; not given in the paper, 3 by default.
        out_channels (int, optional): Output channels of the fuse conv.
            None (default) means ``channels``; the number of classes gives
            SOSD-Net's logits.
        context_channels (int, optional): When set, the size-prior factor
            of the product is computed from a third input ``context`` with
            that many channels by two convs (``mid_channels``,
            ``kernel_size``, ReLU), instead of the 1x1 projection of ``x``.
            Defaults to None.
        fuse (bool): Apply the fuse conv. False returns the concatenation
            ``[x, mix]`` (``channels + mid_channels[1]`` channels);
            ``out_channels`` must then be None. Defaults to True.
        scale_factor (int): Bilinear upsampling factor of the output;
            SOSD-Net uses 4 for its prediction. Defaults to 1 (no resize).
        align_corners (bool): For the bilinear resizes. Defaults to False.
    """

    def __init__(
        self,
        channels: int,
        guide_channels: int,
        mid_channels: Sequence[int] = (64, 32),
        kernel_size: int = 3,
        fuse_kernel_size: int = 3,
        out_channels: Optional[int] = None,
        context_channels: Optional[int] = None,
        fuse: bool = True,
        scale_factor: int = 1,
        align_corners: bool = False,
    ) -> None:
        super().__init__(channels, guide_channels, align_corners)
        self._check_context_channels(context_channels)

        if len(mid_channels) != 2 or min(mid_channels) < 1:
            raise ValueError(
                'DepthToSemantic: mid_channels must be two positive '
                f'widths, got {tuple(mid_channels)}'
            )
        for name, value in (
            ('kernel_size', kernel_size),
            ('fuse_kernel_size', fuse_kernel_size),
        ):
            if value < 1 or value % 2 == 0:
                raise ValueError(
                    f'DepthToSemantic: {name} must be a positive odd '
                    f'integer, got {value}'
                )
        narrow = mid_channels[1]
        self.depth_cue = _two_convs(guide_channels, mid_channels, kernel_size)
        if context_channels is None:
            self.sem_proj = nn.Sequential(
                nn.Conv2d(channels, narrow, 1), nn.ReLU(inplace=True)
            )
        else:
            self.size_prior = _two_convs(
                context_channels, mid_channels, kernel_size
            )
        self.mix = nn.Sequential(
            nn.Conv2d(narrow, narrow, 1), nn.ReLU(inplace=True)
        )
        self._build_output(
            channels + narrow,
            out_channels,
            fuse_kernel_size,
            fuse,
            scale_factor,
        )

    def forward(
        self,
        x: torch.Tensor,
        guide: torch.Tensor,
        context: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        """Fuse the depth-gated semantic cue into the semantic features.

        Args:
            x (Tensor): Semantic features, ``(N, channels, H, W)``.
            guide (Tensor): Depth cue, ``(N, guide_channels, h, w)``.
            context (Tensor, optional): Input of the size-prior path, ``(N,
                context_channels, h', w')``, when ``context_channels`` is
                set.

        Returns:
            Tensor: ``(N, out_channels, H * scale_factor, W * scale_factor)``
            (``x``'s shape with the defaults).
        """
        x, guide = self._check_inputs(x, guide)
        context = self._check_context(x, context)
        if context is None:
            prior = self.sem_proj(x)
        else:
            prior = self.size_prior(context)
        product = self.depth_cue(guide) * prior
        out = torch.cat([x, self.mix(product)], dim=1)
        return self._output(out)
