"""``conv -> BN -> ReLU``, the block most encoders and decoders stack."""

from typing import List

import torch.nn as nn

__all__ = ['ConvBNReLU']


class ConvBNReLU(nn.Sequential):
    """``conv -> BN -> ReLU`` with size-keeping padding.

    The layers are the children ``0`` (conv), ``1`` (BN) and ``2`` (ReLU),
    so checkpoints of an ``nn.Sequential`` of the same layers load as they
    are. Without BN the conv carries a bias and the ReLU is child ``1``.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int): Odd square kernel size; the padding
            ``dilation * (kernel_size // 2)`` keeps the size at stride 1.
            Defaults to 3.
        stride (int): Stride of the conv. Defaults to 1.
        dilation (int): Dilation (atrous rate) of the conv. Defaults to 1.
        norm (bool): BatchNorm after the conv (the conv then has no bias).
            Defaults to True.

    Examples:
        >>> import torch
        >>> block = ConvBNReLU(3, 8, stride=2)
        >>> tuple(block(torch.zeros(1, 3, 16, 16)).shape)
        (1, 8, 8, 8)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        norm: bool = True,
        dilation: int = 1,
    ):
        layers: List[nn.Module] = [
            nn.Conv2d(
                in_channels,
                out_channels,
                kernel_size,
                stride=stride,
                padding=dilation * (kernel_size // 2),
                dilation=dilation,
                bias=not norm,
            )
        ]
        if norm:
            layers.append(nn.BatchNorm2d(out_channels))
        layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)
