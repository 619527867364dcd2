"""PMBANet: progressive multi-branch aggregation network for guided depth
super-resolution (Ye, Sun, Wang, Yang, Xu, Li, Li, IEEE TIP 29, 2020),
as the released code (Sunbaoli/PMBANet_DSR, ``color-guided/`` and the
depth-only ``no_color-guided/``)."""

from typing import Optional, Sequence

import torch
import torch.nn as nn

from mmdepthsr.registry import MODELS

from ..layers.pmba_blocks import (
    FeedForwardAttention,
    MBABlock,
    pmba_conv_prelu,
    pmba_projection,
)
from .base_sr import BaseGuidedSREstimator

_DEFAULT_INIT = dict(
    type='Kaiming',
    layer=['Conv2d', 'ConvTranspose2d'],
    a=0,
    mode='fan_in',
    nonlinearity='leaky_relu',
    distribution='normal',
    bias=0,
)


@MODELS.register_module()
class PMBANet(BaseGuidedSREstimator):
    """PMBANet (released code) as a guided depth SR estimator.

    With ``C = mid_channels`` (64), ``F = shallow_channels`` (256), scale
    ``s`` and the kernel ``(k_s, s, 2)`` of
    :data:`~mmdepthsr.models.layers.PMBA_KERNEL_TABLE`
    (x2: 6, x4: 8, x8: 12, x16: 20):

    1. depth features (LR): ``conv3x3(1 -> F)``, ``conv1x1(F -> C)``;
    2. colour features (HR, ``guided=True``): ``conv3x3(3 -> F)``,
       ``conv3x3(F -> C)``, ``conv1x1(C -> C)``;
    3. ``K`` stages :class:`~mmdepthsr.models.layers.MBABlock`; stage
       ``k`` (0-based) reads ``X_k`` with ``C (k + 1)`` channels (LR) and
       gives ``D_k`` (HR, ``C``); ``X_{k+1} = cat(X_k, Down_k(D_k))`` with
       ``Down_k = Conv(C -> C, k_s, stride s, pad 2)``; the colour features
       are added in the stages of ``color_stages`` (stage 0 only in the
       release);
    4. ``conv3x3(C -> 1)`` on the last ``D``, no activation, no global
       residual: the output is the HR depth in the units of the input.

    All convolutions except the last have a bias and a PReLU. The release
    defines modules that its forward pass never calls (a fourth colour
    convolution, a fifth AF block per stage, the third stage at x16); they
    are not built here, so parameter counts exclude them: 13.4 M (x2),
    19.2 M (x4), 35.5 M (x8), 58.0 M (x16) with colour guidance.

    Input: RGB / 255 (data preprocessor ``mean=0, std=255``) and the LR
    depth as the pipeline normalises it (``/255`` for 8-bit Middlebury as
    the release). The feed-forward attention pools 4 x 4, so the LR size
    must be divisible by 4.

    Args:
        scale_factor (int): 2, 4, 8 or 16.
        guided (bool): Colour-guided network; False gives the depth-only
            variant (``no_color-guided/``: no colour branch, the image
            only fixes the output size). Defaults to True.
        mid_channels (int): ``C``. Defaults to 64.
        shallow_channels (int): ``F``. Defaults to 256.
        num_stages (int, optional): ``K``. Defaults to None: 3, or 2 at x16
            (as the release).
        num_af_blocks (int): AF blocks per reconstruction branch. Defaults
            to 4.
        color_stages (Sequence[int]): 0-based stages that receive the
            colour features. Defaults to (0,). Ignored when
            ``guided=False``.
        loss_sr (dict, optional): Reconstruction loss. Defaults to None
            (``L1Loss``, as the release).
        test_cfg (dict, optional): See :class:`BaseGuidedSREstimator`.
        data_preprocessor (dict, optional): Data preprocessor config.
        init_cfg (dict, optional): Defaults to None: Kaiming-normal
            (fan-in, gain sqrt(2)) weights and zero biases of every
            ``Conv2d`` / ``ConvTranspose2d``, as the release (PReLU slopes
            0.25, linear layers PyTorch's default).
    """

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
            loss_sr=loss_sr,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg if init_cfg is not None else _DEFAULT_INIT,
        )
        k, s, p = pmba_projection(self.scale_factor)
        if num_stages is None:
            num_stages = 2 if self.scale_factor == 16 else 3
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
        self.guided = guided
        self.num_stages = num_stages
        self.color_stages = color_stages
        c = mid_channels
        self.depth_stem = nn.Sequential(
            pmba_conv_prelu(1, shallow_channels, 3, 1, 1),
            pmba_conv_prelu(shallow_channels, c, 1),
        )
        self.color_stem = (
            nn.Sequential(
                pmba_conv_prelu(3, shallow_channels, 3, 1, 1),
                pmba_conv_prelu(shallow_channels, c, 3, 1, 1),
                pmba_conv_prelu(c, c, 1),
            )
            if guided
            else None
        )
        self.stages = nn.ModuleList(
            MBABlock(c * (i + 1), c, self.scale_factor, num_af_blocks)
            for i in range(num_stages)
        )
        self.downs = nn.ModuleList(
            pmba_conv_prelu(c, c, k, s, p) for _ in range(num_stages - 1)
        )
        self.out_conv = nn.Conv2d(c, 1, 3, 1, 1)
        pools = {
            m.pool_size
            for m in self.modules()
            if isinstance(m, FeedForwardAttention)
        }
        self.lr_divisor = max(pools)

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
        return self.out_conv(d)


__all__ = ['PMBANet']
