"""A task branch over a low-level map and a coarse global map.

The task-feature decoder of SOSD-Net (He et al., arXiv 2101.07422, the
decoder part of Sec. 3): each task refines the backbone's stride-4 map,
extracts its own low-level cue with one conv, concatenates it with the
upsampled global (ASPP) map and stacks ``num_convs`` convs (one for
semantics, two for depth in the paper). One stage of the decoder interface
of :class:`~mmdepthsr.models.estimators.MultiTaskEncoderDecoder`.

Data flow with the defaults and SOSD-Net's inputs (low-level map 256 x
H/4 x W/4 at index 0, ASPP map 256 x H/16 x W/16 at index 1):

=========  ========================================  ==================
layer      op                                        output shape
=========  ========================================  ==================
refine     1x1 conv 256->48, BN, ReLU                (N, 48, H/4, W/4)
task_conv  3x3 conv 48->48, BN, ReLU                 (N, 48, H/4, W/4)
global     bilinear resize of the ASPP map to H/4    (N, 256, H/4, W/4)
concat     [task_conv, global]                       (N, 304, H/4, W/4)
convs      num_convs x (3x3 conv ->256, BN, ReLU)    (N, 256, H/4, W/4)
=========  ========================================  ==================
"""

from typing import List, Optional, Sequence

import torch
from mmengine.model import BaseModule
from torch import nn

from mmdepthsr.registry import MODELS

from ..layers import ConvBNReLU
from ..utils import resize

__all__ = ['ConvBranchDecoder']


@MODELS.register_module()
class ConvBranchDecoder(BaseModule):
    """One task's branch: low-level cue + upsampled global map + convs.

    Args:
        in_channels (Sequence[int]): Channels of the input maps (filled in
            by the estimator).
        channels (int | Sequence[int]): Width of the branch convs (one
            entry: one stage). Defaults to 256.
        num_convs (int): Convs after the concatenation. Defaults to 1.
        kernel_size (int): Their kernel size. Defaults to 3.
        low_level_index (int): Index of the low-level map. Defaults to 0.
        global_index (int): Index of the global map. Defaults to 1.
        refine_channels (int, optional): Width of the 1x1 refinement of the
            low-level map (DeepLabv3+'s 48); None feeds the raw map to the
            task conv. Defaults to 48.
        task_channels (int): Width of the task conv on the refined map.
            Defaults to 48.
        task_kernel_size (int): Its kernel size. Defaults to 3.
        scale (int): Stride of the low-level map (the output's scale
            denominator for the heads). Defaults to 4.
        align_corners (bool): For the resize of the global map. Defaults to
            False.
        init_cfg (dict, optional): Initialisation config.

    Attributes:
        num_stages (int): 1.
        channels (tuple[int]): ``(channels,)``.
        scales (tuple[int]): ``(scale,)``.
    """

    num_stages = 1

    def __init__(
        self,
        in_channels: Sequence[int],
        channels=256,
        num_convs: int = 1,
        kernel_size: int = 3,
        low_level_index: int = 0,
        global_index: int = 1,
        refine_channels: Optional[int] = 48,
        task_channels: int = 48,
        task_kernel_size: int = 3,
        scale: int = 4,
        align_corners: bool = False,
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(init_cfg=init_cfg)
        name = type(self).__name__
        self.in_channels = tuple(int(c) for c in in_channels)
        if isinstance(channels, int):
            channels = (channels,)
        if len(tuple(channels)) != 1:
            raise ValueError(
                f'{name}: one stage, so `channels` is one width, got '
                f'{tuple(channels)}.'
            )
        for arg, index in (
            ('low_level_index', low_level_index),
            ('global_index', global_index),
        ):
            if not -len(self.in_channels) <= index < len(self.in_channels):
                raise ValueError(
                    f'{name}: {arg} {index} does not index the '
                    f'{len(self.in_channels)} input maps.'
                )
        if num_convs < 1:
            raise ValueError(
                f'{name}: num_convs must be >= 1, got {num_convs}.'
            )
        self.channels = (int(channels[0]),)
        self.scales = (int(scale),)
        self.low_level_index = low_level_index
        self.global_index = global_index
        self.align_corners = align_corners
        low = self.in_channels[low_level_index]
        if refine_channels is None:
            self.refine = nn.Identity()
        else:
            self.refine = ConvBNReLU(low, refine_channels, 1)
            low = refine_channels
        self.task_conv = ConvBNReLU(low, task_channels, task_kernel_size)
        width = task_channels + self.in_channels[global_index]
        convs = []
        for _ in range(num_convs):
            convs.append(ConvBNReLU(width, self.channels[0], kernel_size))
            width = self.channels[0]
        self.convs = nn.Sequential(*convs)

    def forward_stage(
        self,
        k: int,
        x: Optional[torch.Tensor],
        inputs: Sequence[torch.Tensor],
    ) -> torch.Tensor:
        """The branch features (the only stage).

        Args:
            k (int): Stage index, 0.
            x (Tensor, optional): Unused (no earlier stage).
            inputs (Sequence[Tensor]): The input maps.

        Returns:
            Tensor: ``(N, channels, h, w)`` at the low-level map's size.
        """
        if k != 0:
            raise ValueError(
                f'{type(self).__name__}: one stage, got stage index {k}.'
            )
        low = inputs[self.low_level_index]
        cue = self.task_conv(self.refine(low))
        glob = resize(
            inputs[self.global_index],
            tuple(low.shape[-2:]),
            mode='bilinear',
            align_corners=self.align_corners,
        )
        return self.convs(torch.cat([cue, glob], dim=1))

    def forward(self, inputs: Sequence[torch.Tensor]) -> List[torch.Tensor]:
        """``[forward_stage(0, None, inputs)]``."""
        return [self.forward_stage(0, None, inputs)]
