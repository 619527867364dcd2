"""Depth-guided SR fusion: inject MDE-decoder features into the SR decoder.

Design in the spirit of the interaction units of SOSD-Net (L. He, J. Lu,
G. Wang, S. Song, J. Zhou, arXiv 2101.07422, 2021: guidance maps from both
feature sets, pixel-wise products, concatenation, conv) with the gating of
CLIFFNet's fusion module (L. Wang, J. Zhang, Y. Wang, H. Lu, X. Ruan,
ECCV 2020, scott89/CLIFFNet: ``x_l * x_h`` lets one feature set select the
details of the other, followed by a conv and an identity add).

Data flow for ``channels = C``, ``guide_channels = Cg`` (defaults
``kernel_size = 3``):

==========  =========================================  ==================
layer       op                                         output shape
==========  =========================================  ==================
guide       bilinear resize to x's size (if needed)    (N, Cg, H, W)
guide_proj  conv 1x1 Cg->C, ReLU                       (N, C, H, W)
map_x       conv k x k C->1, sigmoid (on x)            (N, 1, H, W)
map_guide   conv k x k C->1, sigmoid (on guide_proj)   (N, 1, H, W)
products    [x * map_guide, g * map_x, x * g]          (N, 3C, H, W)
fuse        conv k x k 3C->C, ReLU                     (N, C, H, W)
out_conv    conv k x k C->C (zero-initialised)         (N, C, H, W)
output      x + out_conv                               (N, C, H, W)
==========  =========================================  ==================

``g`` is the projected guide. With ``zero_init=True`` (default) the weight
and bias of ``out_conv`` start at zero, so the unit is the identity on ``x``
at initialisation and a decoder with the unit starts where the decoder
without it starts; the gradient of ``out_conv``'s weight is non-zero, so the
residual is learnt from the first step.
"""

import torch
from torch import nn

from mmdepthsr.registry import MODELS

from .base import BaseInteractionUnit

__all__ = ['DepthGuidedSRFusion']


@MODELS.register_module()
class DepthGuidedSRFusion(BaseInteractionUnit):
    """Residual fusion of MDE-decoder features into SR-decoder features.

    Args:
        channels (int): Channels ``C`` of the SR-decoder features ``x``.
        guide_channels (int): Channels ``Cg`` of the MDE-decoder features
            ``guide``.
        kernel_size (int): Kernel size of the guidance-map, fuse and output
            convs (odd). Defaults to 3.
        zero_init (bool): Initialise ``out_conv`` to zero so that the unit
            is the identity at initialisation. Defaults to True.
        align_corners (bool): For the bilinear resize of ``guide``.
            Defaults to False.
    """

    def __init__(
        self,
        channels: int,
        guide_channels: int,
        kernel_size: int = 3,
        zero_init: bool = True,
        align_corners: bool = False,
    ) -> None:
        super().__init__(channels, guide_channels, align_corners)
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(
                f'{type(self).__name__}: kernel_size must be a positive odd '
                f'integer, got {kernel_size}'
            )
        pad = kernel_size // 2
        self.zero_init = zero_init
        self.guide_proj = nn.Sequential(
            nn.Conv2d(guide_channels, channels, 1), nn.ReLU(inplace=True)
        )
        self.map_x = nn.Conv2d(channels, 1, kernel_size, padding=pad)
        self.map_guide = nn.Conv2d(channels, 1, kernel_size, padding=pad)
        self.fuse = nn.Sequential(
            nn.Conv2d(3 * channels, channels, kernel_size, padding=pad),
            nn.ReLU(inplace=True),
        )
        self.out_conv = nn.Conv2d(channels, channels, kernel_size, padding=pad)
        if zero_init:
            nn.init.zeros_(self.out_conv.weight)
            nn.init.zeros_(self.out_conv.bias)

    def forward(self, x: torch.Tensor, guide: torch.Tensor) -> torch.Tensor:
        """Refine ``x`` with ``guide``.

        Args:
            x (Tensor): Features being refined, ``(N, channels, H, W)``.
            guide (Tensor): The other task's features,
                ``(N, guide_channels, h, w)``.

        Returns:
            Tensor: ``x + residual``, ``(N, channels, H, W)``.
        """
        x, guide = self._check_inputs(x, guide)
        g = self.guide_proj(guide)
        gate_x = torch.sigmoid(self.map_x(x))
        gate_guide = torch.sigmoid(self.map_guide(g))
        products = torch.cat([x * gate_guide, g * gate_x, x * g], dim=1)
        return x + self.out_conv(self.fuse(products))
