"""Cross-level identity feature fusion (CLIFF) decoder of CLIFFNet.

Paper: L. Wang, J. Zhang, Y. Wang, H. Lu, X. Ruan, "CLIFFNet for Monocular
Depth Estimation with Hierarchical Embedding Loss", ECCV 2020. Structure as
in the official code (scott89/CLIFFNet, ``network/net.py``):

* one 3x3 conv + BN + ReLU sub-net per pyramid level ``P2 .. P5``;
* top-down CLIFF fusion ``F4 = CLIFF(P4, P5)``, ``F3 = CLIFF(P3, F4)``,
  ``F2 = CLIFF(P2, F3)`` (:class:`CLIFFFusion`);
* the first layer of the release's prediction head on ``F2`` (stride 4):
  conv3x3 + BN + ReLU.

The rest of that head (conv3x3 to one channel with bias, no activation,
bilinear upsampling to the input size) and the losses are
:class:`~mmdepthsr.models.heads.CLIFFHead`.
"""

from typing import Optional, Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule, ModuleList

from mmdepthsr.registry import MODELS

from ..layers import ConvBNReLU
from ..utils import resize

__all__ = ['CLIFFFusion', 'CLIFFDecoder']


@MODELS.register_module()
class CLIFFFusion(BaseModule):
    """CLIFF unit: refine a low-level map with a high-level one.

    For a low-level map ``x_l`` and a high-level map ``x_h`` (both
    ``channels`` wide):

    1. ``x_h <- up(x_h)`` (bilinear, to ``x_l``'s size);
    2. ``x_a = x_l * x_h`` (high-level cues gate the low-level details);
    3. ``z = ReLU(BN(conv3x3([x_l, x_a])))`` (``2C -> C``, no bias);
    4. ``y = ReLU(BN(conv3x3([x_h, z])))`` (``2C -> C``, no bias);
    5. ``out = y + x_h`` (identity path of the high-level feature).

    Both convs are initialised Kaiming-uniform with ``a = 1`` (release).

    Args:
        channels (int): Channels of ``x_l``, ``x_h`` and the output.
            Defaults to 256.
        align_corners (bool): Of the bilinear upsampling. Defaults to False.
        init_cfg (dict | list[dict], optional): Initialisation config;
            None applies the release's Kaiming-uniform init.
    """

    def __init__(
        self,
        channels: int = 256,
        align_corners: bool = False,
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(init_cfg=init_cfg)
        self.channels = channels
        self.align_corners = align_corners
        self.gate_conv = ConvBNReLU(2 * channels, channels, 3)
        self.fuse_conv = ConvBNReLU(2 * channels, channels, 3)
        self._reset_convs()

    def _reset_convs(self) -> None:
        for block in (self.gate_conv, self.fuse_conv):
            nn.init.kaiming_uniform_(block[0].weight, a=1)

    def init_weights(self) -> None:
        """``init_cfg`` when set; otherwise the Kaiming-uniform (``a = 1``)
        convs drawn at construction stay (drawing them again would change
        every later random number of a seeded run)."""
        if self.init_cfg is not None:
            super().init_weights()

    def forward(self, x_l: torch.Tensor, x_h: torch.Tensor) -> torch.Tensor:
        """Fuse two levels.

        Args:
            x_l (Tensor): ``(N, C, H, W)`` low-level (finer) features.
            x_h (Tensor): ``(N, C, h, w)`` high-level (coarser) features.

        Returns:
            Tensor: ``(N, C, H, W)``.
        """
        for name, x in (('x_l', x_l), ('x_h', x_h)):
            if x.dim() != 4 or x.shape[1] != self.channels:
                raise ValueError(
                    f'CLIFFFusion: `{name}` must be (N, {self.channels}, H, '
                    f'W), got {tuple(x.shape)}.'
                )
        x_h = resize(
            x_h,
            x_l.shape[-2:],
            mode='bilinear',
            align_corners=self.align_corners,
        )
        z = self.gate_conv(torch.cat([x_l, x_l * x_h], dim=1))
        y = self.fuse_conv(torch.cat([x_h, z], dim=1))
        return y + x_h


@MODELS.register_module()
class CLIFFDecoder(BaseModule):
    """Per-level sub-nets, top-down CLIFF fusion and the head's first conv.

    Args:
        in_channels (int): Channels of every pyramid level (FPN output).
            Defaults to 256.
        num_levels (int): Pyramid levels, fine to coarse (CLIFFNet: 4,
            ``P2 .. P5``). Defaults to 4.
        channels (int): Width of the sub-nets and CLIFF units. Defaults to
            256.
        head_channels (int): Width of the head's first conv, the output.
            Defaults to 256.
        align_corners (bool): Of every bilinear resize. Defaults to False.
        init_cfg (dict | list[dict], optional): Initialisation config.

    Attributes:
        out_channels (int): ``head_channels``.
    """

    def __init__(
        self,
        in_channels: int = 256,
        num_levels: int = 4,
        channels: int = 256,
        head_channels: int = 256,
        align_corners: bool = False,
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(init_cfg=init_cfg)
        if num_levels < 1:
            raise ValueError(
                f'CLIFFDecoder: `num_levels` must be >= 1, got {num_levels}.'
            )
        self.in_channels = in_channels
        self.num_levels = num_levels
        self.channels = channels
        self.out_channels = head_channels
        self.align_corners = align_corners
        self.subnets = nn.ModuleList(
            ConvBNReLU(in_channels, channels, 3) for _ in range(num_levels)
        )
        self.fusions = ModuleList(
            CLIFFFusion(channels, align_corners=align_corners)
            for _ in range(num_levels - 1)
        )
        self.head_conv = ConvBNReLU(channels, head_channels, 3)

    def forward(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        """Decode a feature pyramid.

        Args:
            inputs (Sequence[Tensor]): ``num_levels`` maps, fine to coarse,
                ``(N, in_channels, H_i, W_i)``.

        Returns:
            Tensor: ``(N, head_channels, H_0, W_0)`` at the finest level.
        """
        if len(inputs) != self.num_levels:
            raise ValueError(
                f'CLIFFDecoder: expected {self.num_levels} pyramid levels, '
                f'got {len(inputs)}.'
            )
        feats = [net(x) for net, x in zip(self.subnets, inputs)]
        fused = feats[-1]
        for i in range(self.num_levels - 2, -1, -1):
            fused = self.fusions[i](feats[i], fused)
        return self.head_conv(fused)
