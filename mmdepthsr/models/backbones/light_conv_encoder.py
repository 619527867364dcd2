"""A light four-stage conv encoder with outputs at strides 2, 4, 8, 16.

The encoder of the joint monocular depth estimation + depth
super-resolution models (:class:`~mmdepthsr.models.estimators.
JointDepthSR`), for the colour image and for the upsampled depth; its four
maps feed :class:`~mmdepthsr.models.decoders.ProgressiveDecoder`.

=====  =========================================  ======  ===============
index  stage ``i``                                stride  channels
=====  =========================================  ======  ===============
0      conv3x3/2-BN-ReLU, conv3x3-BN-ReLU         2       ``channels[0]``
1      same                                       4       ``channels[1]``
2      same                                       8       ``channels[2]``
3      same                                       16      ``channels[3]``
=====  =========================================  ======  ===============
"""

from typing import Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from torch import nn

from mmdepthsr.registry import MODELS

from ..layers import ConvBNReLU
from ..utils.arg_checks import check_positive_ints

__all__ = ['ENCODER_STRIDES', 'LightConvEncoder']

#: Output strides of the four maps, fine to coarse.
ENCODER_STRIDES = (2, 4, 8, 16)


@MODELS.register_module()
class LightConvEncoder(BaseModule):
    """Four-stage conv encoder with outputs at strides 2, 4, 8 and 16.

    Stage ``i`` (``i = 0..3``): ``conv3x3(stride 2) - BN - ReLU - conv3x3 -
    BN - ReLU`` with ``channels[i]`` outputs. With the default channels
    ``(32, 64, 128, 256)`` and 3 input channels it has 1,173,216
    parameters (BN affine included).

    Args:
        in_channels (int): Input channels (3 for RGB, 1 for depth).
            Defaults to 3.
        channels (Sequence[int]): Output channels of the four stages.
            Defaults to (32, 64, 128, 256).
        norm (bool): BatchNorm after every conv (convs then have no bias).
            Defaults to True.
        init_cfg (dict, optional): Initialisation config. Defaults to None
            (PyTorch's default initialisation).

    Examples:
        >>> import torch
        >>> enc = LightConvEncoder(in_channels=1, channels=(4, 8, 8, 16))
        >>> [tuple(f.shape) for f in enc(torch.zeros(1, 1, 32, 32))]
        [(1, 4, 16, 16), (1, 8, 8, 8), (1, 8, 4, 4), (1, 16, 2, 2)]
    """

    def __init__(
        self,
        in_channels: int = 3,
        channels: Sequence[int] = (32, 64, 128, 256),
        norm: bool = True,
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(init_cfg=init_cfg)
        name = type(self).__name__
        (in_channels,) = check_positive_ints(
            name, 'in_channels', [in_channels], 1
        )
        self.channels = check_positive_ints(name, 'channels', channels, 4)
        self.in_channels = in_channels
        stages, cin = [], in_channels
        for cout in self.channels:
            stages.append(
                nn.Sequential(
                    ConvBNReLU(cin, cout, stride=2, norm=norm),
                    ConvBNReLU(cout, cout, norm=norm),
                )
            )
            cin = cout
        self.stages = nn.ModuleList(stages)

    @property
    def out_channels(self) -> Tuple[int, ...]:
        """Channels of the four outputs."""
        return self.channels

    @property
    def out_strides(self) -> Tuple[int, ...]:
        """Strides of the four outputs, :data:`ENCODER_STRIDES`."""
        return ENCODER_STRIDES

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Encode.

        Args:
            x (Tensor): ``(N, in_channels, H, W)``, ``H`` and ``W``
                divisible by 16.

        Returns:
            tuple[Tensor]: Four maps, ``(N, channels[i], H / 2^(i+1),
            W / 2^(i+1))``.

        Raises:
            ValueError: On a wrong channel count or a size not divisible by
                16.
        """
        name = type(self).__name__
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f'{name}: expected (N, {self.in_channels}, H, W), got '
                f'{tuple(x.shape)}.'
            )
        if x.shape[-2] % 16 or x.shape[-1] % 16:
            raise ValueError(
                f'{name}: the input size {tuple(x.shape[-2:])} must be '
                'divisible by 16 (four stride-2 stages).'
            )
        outs = []
        for stage in self.stages:
            x = stage(x)
            outs.append(x)
        return tuple(outs)
