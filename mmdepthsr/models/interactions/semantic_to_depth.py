"""Semantic-to-depth (S2D) unit of SOSD-Net.

Source: L. He, J. Lu, G. Wang, S. Song, J. Zhou, "SOSD-Net: Joint Semantic
Object Segmentation and Depth Estimation from Monocular images",
arXiv 2101.07422, 2021. No public code exists; the layer widths follow the
paper's description (2 -> 1 channel maps, pixel-wise product, square root,
concatenation, conv, upsampling), the kernel sizes are not given there and
are configurable defaults here.

Geometry (pinhole camera, focal length f): an object of metric extent
``dX x dY`` at depth ``Z`` covers ``du x dv`` pixels, so
``Z = f * sqrt(dX * dY / (du * dv))``. Map A (from the depth features, or
from a shared ``context`` map such as SOSD-Net's common representation when
``context_channels`` is set) plays the role of ``dX * dY`` (a class-wise
size prior), map B (from the semantic features) the role of
``(du * dv)^-1``; ``sqrt(A * B)`` is proportional to depth, ``f`` is
absorbed by the following conv (or by the BatchNorm of the maps with
``norm=True``, as the paper does). Both maps pass through a softplus and
``eps`` is added inside the square root so that the root and its gradient
stay finite.

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
(output shape = shape of ``x``) for use inside a decoder. With
``fuse=False`` the unit returns the concatenation ``(N, 257, H, W)`` and
the prediction conv of a depth head plays the role of the paper's last
conv.
"""

from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from mmdepthsr.registry import MODELS

from .base import BaseInteractionUnit

__all__ = ['SemanticToDepth']


def _guidance_map(
    in_channels: int, mid_channels: int, kernel_size: int, norm: bool
) -> nn.Sequential:
    """Conv ``k x k`` to ``mid_channels``, [BN], ReLU, conv ``1x1`` to one
    map (children ``0`` and ``2`` are the convs without BN, as in earlier
    checkpoints)."""
    layers = [
        nn.Conv2d(
            in_channels,
            mid_channels,
            kernel_size,
            padding=kernel_size // 2,
            bias=not norm,
        )
    ]
    if norm:
        layers.append(nn.BatchNorm2d(mid_channels))
    layers += [nn.ReLU(inplace=True), nn.Conv2d(mid_channels, 1, 1)]
    return nn.Sequential(*layers)


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
        context_channels (int, optional): When set, map A reads a third
            input ``context`` with that many channels (SOSD-Net's common
            representation) instead of ``x``. Defaults to None.
        norm (bool): BatchNorm after the first conv of maps A and B (the
            paper embeds the fixed focal length of a dataset through BN in
            both maps; the position is not given). Defaults to False.
        fuse (bool): Apply the fuse conv. False returns the concatenation
            ``[x, objectness]`` (``channels + 1`` channels) for a head whose
            prediction conv is the paper's last conv; ``out_channels`` must
            then be None. Defaults to True.
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
        context_channels: Optional[int] = None,
        norm: bool = False,
        fuse: bool = True,
        scale_factor: int = 1,
        eps: float = 1e-6,
        align_corners: bool = False,
    ) -> None:
        super().__init__(channels, guide_channels, align_corners)
        self._check_context_channels(context_channels)

        for name, value in (
            ('map_kernel_size', map_kernel_size),
            ('fuse_kernel_size', fuse_kernel_size),
        ):
            if value < 1 or value % 2 == 0:
                raise ValueError(
                    f'SemanticToDepth: {name} must be a positive odd '
                    f'integer, got {value}'
                )
        if eps <= 0:
            raise ValueError(f'SemanticToDepth: eps must be > 0, got {eps}')
        self.eps = eps
        self.map_a = _guidance_map(
            channels if context_channels is None else context_channels,
            map_channels,
            map_kernel_size,
            norm,
        )
        self.map_b = _guidance_map(
            guide_channels, map_channels, map_kernel_size, norm
        )
        self._build_output(
            channels + 1, out_channels, fuse_kernel_size, fuse, scale_factor
        )

    def objectness(
        self,
        x: torch.Tensor,
        guide: torch.Tensor,
        context: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        """The depth-like map ``sqrt(A * B + eps)``.

        Args:
            x (Tensor): Depth features, ``(N, channels, H, W)``.
            guide (Tensor): Semantic features at the same size,
                ``(N, guide_channels, H, W)``.
            context (Tensor, optional): Input of map A at the same size,
                ``(N, context_channels, H, W)``; required exactly when
                ``context_channels`` is set.

        Returns:
            Tensor: ``(N, 1, H, W)``, positive.
        """
        source = x if self.context_channels is None else context
        map_a = F.softplus(self.map_a(source))
        map_b = F.softplus(self.map_b(guide))
        return torch.sqrt(map_a * map_b + self.eps)

    def forward(
        self,
        x: torch.Tensor,
        guide: torch.Tensor,
        context: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        """Fuse the objectness map into the depth features.

        Args:
            x (Tensor): Depth features, ``(N, channels, H, W)``.
            guide (Tensor): Semantic features, ``(N, guide_channels, h, w)``.
            context (Tensor, optional): Input of map A, ``(N,
                context_channels, h', w')``, when ``context_channels`` is
                set.

        Returns:
            Tensor: ``(N, out_channels, H * scale_factor, W * scale_factor)``
            (``x``'s shape with the defaults).
        """
        x, guide = self._check_inputs(x, guide)
        context = self._check_context(x, context)
        out = torch.cat([x, self.objectness(x, guide, context)], dim=1)
        return self._output(out)
