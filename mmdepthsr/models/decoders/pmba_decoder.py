"""The network of PMBANet (Ye, Sun, Wang, Yang, Xu, Li, Li, "PMBANet:
Progressive Multi-Branch Aggregation Network for Scene Depth
Super-Resolution", IEEE TIP 29, 2020), as the released code
(Sunbaoli/PMBANet_DSR, ``color-guided/`` and the depth-only
``no_color-guided/``), up to its last HR feature map.

PMBANet has no backbone shared with anything else: two stems of a few
convolutions read the LR depth and the HR image, and the stacked
multi-branch aggregation stages turn them into HR features. The module is
therefore one *decoder* from ``(image, LR depth)`` to HR features; the
output convolution ``conv3x3(C -> 1)`` is the prediction conv of the SR
head that reads them (:class:`~mmdepthsr.models.heads.SRHead` with
``residual=False``), which also owns the reconstruction loss.

Layers, with ``C = channels`` (64), ``F = shallow_channels`` (256), scale
``s`` and the kernel ``(k_s, s, 2)`` of
:data:`~mmdepthsr.models.layers.PMBA_KERNEL_TABLE` (x2: 6, x4: 8, x8: 12,
x16: 20):

==========  ==================================================  =========
part        layers                                              size
==========  ==================================================  =========
depth stem  ``conv3x3(1 -> F)``, ``conv1x1(F -> C)``            LR
colour stem ``conv3x3(3 -> F)``, ``conv3x3(F -> C)``,           HR
            ``conv1x1(C -> C)`` (``guided=True``)
stage k     :class:`~mmdepthsr.models.layers.MBABlock` on       LR -> HR
            ``X_k`` (``C (k + 1)`` channels) -> ``D_k`` (``C``)
down k      ``conv(C -> C, k_s, stride s, pad 2)``;             HR -> LR
            ``X_{k+1} = cat(X_k, Down_k(D_k))``
==========  ==================================================  =========

The colour features are added in the stages of ``color_stages`` (stage 0
only in the release). Every convolution has a bias and a PReLU. The
release defines modules that its forward pass never calls (a fourth colour
convolution, a fifth AF block per stage, the third stage at x16); they are
not built here.
"""

from typing import Optional, Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmdepthsr.registry import MODELS

from ..layers.pmba_blocks import (
    FeedForwardAttention,
    MBABlock,
    pmba_conv_prelu,
    pmba_projection,
)
from ..utils import InitCfg

__all__ = ['PMBA_INIT', 'PMBADecoder']

#: Initialisation of the release: Kaiming-normal (fan-in, gain sqrt(2))
#: weights and zero biases of every ``Conv2d`` / ``ConvTranspose2d``
#: (PReLU slopes 0.25, linear layers PyTorch's default).
PMBA_INIT = dict(
    type='Kaiming',
    layer=['Conv2d', 'ConvTranspose2d'],
    a=0,
    mode='fan_in',
    nonlinearity='leaky_relu',
    distribution='normal',
    bias=0,
)


@MODELS.register_module()
class PMBADecoder(BaseModule):
    """PMBANet from ``(image, LR depth)`` to its last HR feature map.

    Input: RGB / 255 and the LR depth as the pipeline normalises it
    (``/255`` for 8-bit Middlebury as the release). The feed-forward
    attention pools 4 x 4, so the LR size must be divisible by 4.

    Args:
        scale_factor (int): 2, 4, 8 or 16.
        guided (bool): Colour-guided network; False gives the depth-only
            variant (no colour stem, the image only fixes the output size).
            Defaults to True.
        channels (int): ``C``. Defaults to 64.
        shallow_channels (int): ``F``. Defaults to 256.
        num_stages (int, optional): ``K``. Defaults to None: 3, or 2 at x16
            (as the release).
        num_af_blocks (int): AF blocks per reconstruction branch. Defaults
            to 4.
        color_stages (Sequence[int]): 0-based stages that receive the
            colour features. Defaults to (0,). Ignored when
            ``guided=False``.
        init_cfg (dict | list[dict], optional): Defaults to
            :data:`PMBA_INIT`.

    Attributes:
        out_channels (int): ``C``, the channels of the output.
        lr_divisor (int): The LR size must be divisible by it.

    Examples:
        >>> dec = PMBADecoder(2, channels=8, shallow_channels=16)
        >>> dec(torch.rand(1, 3, 16, 16), torch.rand(1, 1, 8, 8)).shape
        torch.Size([1, 8, 16, 16])
    """

    def __init__(
        self,
        scale_factor: int,
        guided: bool = True,
        channels: int = 64,
        shallow_channels: int = 256,
        num_stages: Optional[int] = None,
        num_af_blocks: int = 4,
        color_stages: Sequence[int] = (0,),
        init_cfg: InitCfg = PMBA_INIT,
    ):
        super().__init__(init_cfg=init_cfg)
        k, s, p = pmba_projection(scale_factor)
        if num_stages is None:
            num_stages = 2 if s == 16 else 3
        if num_stages < 1:
            raise ValueError(
                f'PMBANet: num_stages must be >= 1, got {num_stages}.'
            )
        color_stages = tuple(int(i) for i in color_stages) if guided else ()
        bad = [i for i in color_stages if not 0 <= i < num_stages]
        if bad:
            raise ValueError(
                f'PMBANet: color_stages {bad} out of range for '
                f'{num_stages} stages (0-based).'
            )
        self.scale_factor = s
        self.guided = guided
        self.num_stages = num_stages
        self.color_stages = color_stages
        self.out_channels = channels
        self.depth_stem = nn.Sequential(
            pmba_conv_prelu(1, shallow_channels, 3, 1, 1),
            pmba_conv_prelu(shallow_channels, channels, 1),
        )
        self.color_stem = (
            nn.Sequential(
                pmba_conv_prelu(3, shallow_channels, 3, 1, 1),
                pmba_conv_prelu(shallow_channels, channels, 3, 1, 1),
                pmba_conv_prelu(channels, channels, 1),
            )
            if guided
            else None
        )
        self.stages = nn.ModuleList(
            MBABlock(channels * (i + 1), channels, s, num_af_blocks)
            for i in range(num_stages)
        )
        self.downs = nn.ModuleList(
            pmba_conv_prelu(channels, channels, k, s, p)
            for _ in range(num_stages - 1)
        )
        self.lr_divisor = max(
            m.pool_size
            for m in self.modules()
            if isinstance(m, FeedForwardAttention)
        )

    def forward(
        self, img: torch.Tensor, lr_depth: torch.Tensor
    ) -> torch.Tensor:
        """HR features of the last stage.

        Args:
            img (Tensor): ``(N, 3, H, W)`` image (RGB / 255).
            lr_depth (Tensor): ``(N, 1, H/s, W/s)`` LR depth, ``H/s`` and
                ``W/s`` divisible by :attr:`lr_divisor`.

        Returns:
            Tensor: ``(N, C, H, W)``.

        Raises:
            ValueError: On an LR map that is not one channel, not divisible
                by :attr:`lr_divisor`, or not the image size over ``s``.
        """
        s = self.scale_factor
        if lr_depth.dim() != 4 or lr_depth.shape[1] != 1:
            raise ValueError(
                f'PMBANet: lr_depth must be (N, 1, h, w), got '
                f'{tuple(lr_depth.shape)}.'
            )
        h, w = lr_depth.shape[-2:]
        if h % self.lr_divisor or w % self.lr_divisor:
            raise ValueError(
                f'PMBANet: the LR depth size {(h, w)} must be divisible by '
                f'{self.lr_divisor} (the feed-forward attention pools '
                f'{self.lr_divisor} x {self.lr_divisor}); use HR sizes '
                f'divisible by {self.lr_divisor * s}.'
            )
        if tuple(img.shape[-2:]) != (h * s, w * s):
            raise ValueError(
                f'PMBANet: image size {tuple(img.shape[-2:])} is not the LR '
                f'size {(h, w)} times scale_factor {s}.'
            )
        color = self.color_stem(img) if self.guided else None
        x = self.depth_stem(lr_depth)
        for i, stage in enumerate(self.stages):
            d = stage(x, color if i in self.color_stages else None)
            if i < self.num_stages - 1:
                x = torch.cat([x, self.downs[i](d)], dim=1)
        return d
