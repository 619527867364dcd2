"""Feature pyramid network with batch normalisation.

Paper: T.-Y. Lin, P. Dollar, R. Girshick, K. He, B. Hariharan, S.
Belongie, "Feature Pyramid Networks for Object Detection", CVPR 2017. The
variant here follows CLIFFNet's (Wang et al., ECCV 2020, scott89/CLIFFNet
``network/fpn.py``): every convolution is followed by BN and ReLU, and the
top-down path upsamples bilinearly instead of by nearest neighbour.

For inputs ``C_0 .. C_{L-1}`` (fine to coarse):

* lateral ``L_i = ReLU(BN(conv1x1(C_i)))`` (to ``out_channels``);
* top-down ``M_{L-1} = L_{L-1}``,
  ``M_i = L_i + up(M_{i+1})`` (bilinear, to ``L_i``'s size);
* output ``P_i = ReLU(BN(conv3x3(M_i)))``.

Whether the release carries ``M`` (before the 3x3 conv, as the FPN paper)
or ``P`` down the top-down path is not recorded here;
``top_down='merged'`` (default, FPN paper) or ``'output'`` chooses.
"""

from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmdepthsr.registry import MODELS

from ..layers import ConvBNReLU
from ..utils import resize

__all__ = ['FPN']


@MODELS.register_module()
class FPN(BaseModule):
    """FPN with conv+BN+ReLU laterals and outputs (CLIFFNet form).

    Args:
        in_channels (Sequence[int]): Channels of the inputs, fine to coarse,
            e.g. ``(256, 512, 1024, 2048)`` for ResNet-50 res2..res5.
        out_channels (int): Channels of every output. Defaults to 256.
        top_down (str): ``'merged'`` passes ``M_{i+1}`` (before the 3x3
            conv) down the pyramid, ``'output'`` passes ``P_{i+1}``.
            Defaults to ``'merged'`` (FPN paper; the CLIFFNet release's
            choice is not recorded here).
        align_corners (bool): Of the bilinear upsampling. Defaults to False.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None (PyTorch's default init).
    """

    def __init__(
        self,
        in_channels: Sequence[int],
        out_channels: int = 256,
        top_down: str = 'merged',
        align_corners: bool = False,
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(init_cfg=init_cfg)
        if not in_channels:
            raise ValueError('FPN: `in_channels` must not be empty.')
        if top_down not in ('merged', 'output'):
            raise ValueError(
                'FPN: `top_down` must be "merged" or "output", got '
                f'"{top_down}".'
            )
        self.in_channels = tuple(int(c) for c in in_channels)
        self.out_channels = out_channels
        self.top_down = top_down
        self.align_corners = align_corners
        self.lateral_convs = nn.ModuleList(
            ConvBNReLU(c, out_channels, 1) for c in self.in_channels
        )
        self.fpn_convs = nn.ModuleList(
            ConvBNReLU(out_channels, out_channels, 3) for _ in self.in_channels
        )

    def forward(
        self, inputs: Sequence[torch.Tensor]
    ) -> Tuple[torch.Tensor, ...]:
        """Build the pyramid.

        Args:
            inputs (Sequence[Tensor]): ``len(in_channels)`` maps, fine to
                coarse, ``(N, in_channels[i], H_i, W_i)``.

        Returns:
            tuple[Tensor]: ``(N, out_channels, H_i, W_i)`` for every level,
            fine to coarse.
        """
        if len(inputs) != len(self.in_channels):
            raise ValueError(
                f'FPN: expected {len(self.in_channels)} inputs, got '
                f'{len(inputs)}.'
            )
        for i, (x, c) in enumerate(zip(inputs, self.in_channels)):
            if x.dim() != 4 or x.shape[1] != c:
                raise ValueError(
                    f'FPN: input {i} must be (N, {c}, H, W), got '
                    f'{tuple(x.shape)}.'
                )
        num = len(inputs)
        outs: List[torch.Tensor] = [None] * num  # type: ignore[list-item]
        carry = None
        for i in range(num - 1, -1, -1):
            merged = self.lateral_convs[i](inputs[i])
            if carry is not None:
                merged = merged + resize(
                    carry,
                    merged.shape[-2:],
                    mode='bilinear',
                    align_corners=self.align_corners,
                )
            outs[i] = self.fpn_convs[i](merged)
            carry = merged if self.top_down == 'merged' else outs[i]
        return tuple(outs)
