"""Semantic-to-depth (S2D) unit of SOSD-Net.

Source: L. He, J. Lu, G. Wang, S. Song, J. Zhou, "SOSD-Net: Joint Semantic
Object Segmentation and Depth Estimation from Monocular images",
arXiv 2101.07422, 2021. No public code exists; the layer widths follow the
paper's description (2 -> 1 channel maps, pixel-wise product, square root,
concatenation, conv, upsampling), the kernel sizes are not given there and
are configurable defaults here.

Geometry (pinhole camera, focal length f): an object of metric extent
``dX x dY`` at depth ``Z`` covers ``du x dv`` pixels, so
``Z = f * sqrt(dX * dY / (du * dv))``. Map A (from the depth features) plays
the role of ``dX * dY`` (a class-wise size prior), map B (from the semantic
features) the role of ``(du * dv)^-1``; ``sqrt(A * B)`` is proportional to
depth, ``f`` is absorbed by the following conv. Both maps pass through a
softplus and ``eps`` is added inside the square root so that the root and
its gradient stay finite.

Data flow for ``channels = guide_channels = 256`` (SOSD-Net features at 1/4
of the input), defaults ``out_channels = channels``, ``scale_factor = 1``:

=========  ===========================================  ==================
layer      op                                           output shape
=========  ===========================================  ==================
guide      bilinear resize to x's size (if needed)      (N, 256, H, W)
map_a      conv k x k 256->2, ReLU, conv 1x1 2->1,      (N, 1, H, W)
           softplus (on x = depth features)
map_b      same on guide (semantic features)            (N, 1, H, W)
objectness sqrt(A * B + eps)                            (N, 1, H, W)
concat     [x, objectness]                              (N, 257, H, W)
fuse       conv k x k 257->out_channels                 (N, 256, H, W)
upsample   bilinear x scale_factor (skipped for 1)      (N, 256, H, W)
=========  ===========================================  ==================

The paper's depth prediction is ``out_channels=1, scale_factor=4``
(``(N, 1, 4H, 4W)``); the defaults keep the interaction-unit contract
(output shape = shape of ``x``) for use inside a decoder.
"""

from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from mmdepthsr.registry import MODELS

from .base import BaseInteractionUnit

__all__ = ['SemanticToDepth']


def _guidance_map(
    in_channels: int, mid_channels: int, kernel_size: int
) -> nn.Sequential:
    """Conv ``k x k`` to ``mid_channels``, ReLU, conv ``1x1`` to one map."""
    return nn.Sequential(
        nn.Conv2d(
            in_channels, mid_channels, kernel_size, padding=kernel_size // 2
        ),
        nn.ReLU(inplace=True),
        nn.Conv2d(mid_channels, 1, 1),
    )


@MODELS.register_module()
class SemanticToDepth(BaseInteractionUnit):
    """SOSD-Net semantic-to-depth unit: refine depth features with semantics.

    Args:
        channels (int): Channels of the depth features ``x``.
        guide_channels (int): Channels of the semantic features ``guide``.
        map_channels (int): Width of the first conv of each guidance map
            (the paper's "2"). Defaults to 2.
        map_kernel_size (int): Kernel size of that first conv; not given in
            the paper, 3 by default. The second conv is 1x1.
        fuse_kernel_size (int): Kernel size of the conv after the
            concatenation; not given in the paper, 3 by default.
        out_channels (int, optional): Output channels of the fuse conv.
            None (default) means ``channels``; 1 gives SOSD-Net's depth map.
        scale_factor (int): Bilinear upsampling factor of the output;
            SOSD-Net uses 4 for its prediction. Defaults to 1 (no resize).
        eps (float): Added to ``A * B`` inside the square root.
            Defaults to 1e-6.
        align_corners (bool): For the bilinear resizes. Defaults to False.
    """

    def __init__(
        self,
        channels: int,
        guide_channels: int,
        map_channels: int = 2,
        map_kernel_size: int = 3,
        fuse_kernel_size: int = 3,
        out_channels: Optional[int] = None,
        scale_factor: int = 1,
        eps: float = 1e-6,
        align_corners: bool = False,
    ) -> None:
        super().__init__(channels, guide_channels, align_corners)
        for name, value in (
            ('map_kernel_size', map_kernel_size),
            ('fuse_kernel_size', fuse_kernel_size),
        ):
            if value < 1 or value % 2 == 0:
                raise ValueError(
                    f'SemanticToDepth: {name} must be a positive odd '
                    f'integer, got {value}'
                )
        if scale_factor < 1:
            raise ValueError(
                'SemanticToDepth: scale_factor must be >= 1, got '
                f'{scale_factor}'
            )
        if eps <= 0:
            raise ValueError(f'SemanticToDepth: eps must be > 0, got {eps}')
        self.out_channels = channels if out_channels is None else out_channels
        self.scale_factor = scale_factor
        self.eps = eps
        self.map_a = _guidance_map(channels, map_channels, map_kernel_size)
        self.map_b = _guidance_map(
            guide_channels, map_channels, map_kernel_size
        )
        self.fuse = nn.Conv2d(
            channels + 1,
            self.out_channels,
            fuse_kernel_size,
            padding=fuse_kernel_size // 2,
        )

    def objectness(self, x: torch.Tensor, guide: torch.Tensor) -> torch.Tensor:
        """The depth-like map ``sqrt(A * B + eps)``.

        Args:
            x (Tensor): Depth features, ``(N, channels, H, W)``.
            guide (Tensor): Semantic features at the same size,
                ``(N, guide_channels, H, W)``.

        Returns:
            Tensor: ``(N, 1, H, W)``, positive.
        """
        map_a = F.softplus(self.map_a(x))
        map_b = F.softplus(self.map_b(guide))
        return torch.sqrt(map_a * map_b + self.eps)

    def forward(self, x: torch.Tensor, guide: torch.Tensor) -> torch.Tensor:
        """Fuse the objectness map into the depth features.

        Args:
            x (Tensor): Depth features, ``(N, channels, H, W)``.
            guide (Tensor): Semantic features, ``(N, guide_channels, h, w)``.

        Returns:
            Tensor: ``(N, out_channels, H * scale_factor, W * scale_factor)``
            (``x``'s shape with the defaults).
        """
        x, guide = self._check_inputs(x, guide)
        out = self.fuse(torch.cat([x, self.objectness(x, guide)], dim=1))
        if self.scale_factor != 1:
            out = F.interpolate(
                out,
                scale_factor=self.scale_factor,
                mode='bilinear',
                align_corners=self.align_corners,
            )
        return out
