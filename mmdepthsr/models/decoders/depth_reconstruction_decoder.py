"""A small decoder from depth-map features back to a depth map.

The decoder of :class:`~mmdepthsr.models.estimators.DepthAutoEncoder`,
the label-free pre-training of a depth-map encoder (the hierarchical
embedding generators of CLIFFNet, Wang et al., ECCV 2020).
"""

import math
from typing import Optional, Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmdepthsr.registry import MODELS

from ..utils import resize

__all__ = ['DepthReconstructionDecoder']


@MODELS.register_module()
class DepthReconstructionDecoder(BaseModule):
    """Small decoder from depth features back to a depth map.

    ``log2(stride)`` steps of (bilinear x2 upsampling, conv3x3 + BN +
    LeakyReLU), then a conv3x3 to one channel and a bilinear resize to the
    requested size. Used by :class:`DepthAutoEncoder`.

    Args:
        in_channels (int): Channels of the encoder feature.
        stride (int): Stride of the feature (a power of 2).
        channels (int): Width of the hidden convs. Defaults to 16.
        num_convs (int): Convs at each resolution (at least one at the
            feature resolution). Defaults to 1.
        negative_slope (float): LeakyReLU slope. Defaults to 0.01.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(
        self,
        in_channels: int,
        stride: int,
        channels: int = 16,
        num_convs: int = 1,
        negative_slope: float = 0.01,
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(init_cfg=init_cfg)
        if stride < 1 or stride & (stride - 1):
            raise ValueError(
                'DepthReconstructionDecoder: stride must be a power of 2, '
                f'got {stride}.'
            )
        self.num_ups = int(math.log2(stride))

        def block(cin: int) -> nn.Sequential:
            mods = []
            for i in range(num_convs):
                mods += [
                    nn.Conv2d(
                        cin if i == 0 else channels,
                        channels,
                        3,
                        1,
                        1,
                        bias=False,
                    ),
                    nn.BatchNorm2d(channels),
                    nn.LeakyReLU(negative_slope),
                ]
            return nn.Sequential(*mods)

        self.blocks = nn.ModuleList([block(in_channels)])
        for _ in range(self.num_ups):
            self.blocks.append(block(channels))
        self.out_conv = nn.Conv2d(channels, 1, 3, 1, 1)

    def forward(self, x: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
        """Decode.

        Args:
            x (Tensor): ``(N, in_channels, h, w)`` features.
            size (Sequence[int]): Output ``(H, W)``.

        Returns:
            Tensor: ``(N, 1, H, W)``.
        """
        x = self.blocks[0](x)
        for blk in self.blocks[1:]:
            x = blk(resize(x, (x.shape[-2] * 2, x.shape[-1] * 2)))
        return resize(self.out_conv(x), tuple(size))
