"""Depthwise-separable convolution with batch normalisation.

The "split" separable convolution of Xception and DeepLabv3+ (Chen et al.,
"Encoder-Decoder with Atrous Separable Convolution for Semantic Image
Segmentation", ECCV 2018, Sec. 3.2): a ``k x k`` depthwise convolution (one
filter per channel, optionally strided and dilated), BN, then a ``1 x 1``
pointwise convolution, BN. Where the ReLUs go depends on the user:

- ASPP and the DeepLabv3+ decoder: ``depthwise - BN - ReLU - pointwise - BN -
  ReLU`` (``relu_between=True, relu_after=True``, the default);
- Xception entry / middle flow and exit block 1: ``depthwise - BN -
  pointwise - BN`` with a ReLU *before* the block (``relu_between=False,
  relu_after=False``; the pre-activation belongs to the caller);
- Xception exit block 2: both ReLUs, as ASPP.

The children are named as the separable convolutions of timm's
``xception_aligned`` (``conv_dw``, ``bn_dw``, ``act_dw``, ``conv_pw``,
``bn_pw``, ``act_pw``), so published Xception-65 weights keep their keys;
a ReLU that is switched off is an ``nn.Identity`` (no state).
"""

from collections import OrderedDict

import torch.nn as nn

__all__ = ['SeparableConvBNReLU']


class SeparableConvBNReLU(nn.Sequential):
    """``depthwise k x k - BN - [ReLU] - pointwise 1 x 1 - BN - [ReLU]``.

    No convolution has a bias (each is followed by BN). The depthwise
    padding ``dilation * (kernel_size // 2)`` keeps the size at stride 1
    and gives ``floor((H - 1) / stride) + 1`` rows at a larger stride,
    which is TensorFlow's explicit symmetric padding of DeepLab for odd
    kernels.

    Args:
        in_channels (int): Input channels ``C_in`` (also the depthwise
            width).
        out_channels (int): Output channels ``C_out`` of the pointwise
            conv.
        kernel_size (int): Odd depthwise kernel size. Defaults to 3.
        stride (int): Stride of the depthwise conv. Defaults to 1.
        dilation (int): Dilation (atrous rate) of the depthwise conv.
            Defaults to 1.
        relu_between (bool): ReLU after the depthwise BN. Defaults to True.
        relu_after (bool): ReLU after the pointwise BN. Defaults to True.
        bn_eps (float): Epsilon of both BN layers. Defaults to 1e-5
            (PyTorch's; TensorFlow's Xception uses 1e-3).

    Shapes:
        ``(N, C_in, H, W)`` -> ``(N, C_out, floor((H - 1) / stride) + 1,
        floor((W - 1) / stride) + 1)``.

    Examples:
        >>> import torch
        >>> block = SeparableConvBNReLU(4, 8, dilation=2)
        >>> tuple(block(torch.zeros(1, 4, 9, 10)).shape)
        (1, 8, 9, 10)
        >>> sum(p.numel() for p in block.parameters())  # 36+8 + 32+16
        92
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        dilation: int = 1,
        relu_between: bool = True,
        relu_after: bool = True,
        bn_eps: float = 1e-5,
    ):
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(
                f'{type(self).__name__}: kernel_size must be a positive odd '
                f'integer, got {kernel_size!r}.'
            )
        if min(in_channels, out_channels, stride, dilation) < 1:
            raise ValueError(
                f'{type(self).__name__}: in_channels ({in_channels}), '
                f'out_channels ({out_channels}), stride ({stride}) and '
                f'dilation ({dilation}) must be positive.'
            )

        def relu(on: bool) -> nn.Module:
            return nn.ReLU(inplace=True) if on else nn.Identity()

        super().__init__(
            OrderedDict(
                conv_dw=nn.Conv2d(
                    in_channels,
                    in_channels,
                    kernel_size,
                    stride=stride,
                    padding=dilation * (kernel_size // 2),
                    dilation=dilation,
                    groups=in_channels,
                    bias=False,
                ),
                bn_dw=nn.BatchNorm2d(in_channels, eps=bn_eps),
                act_dw=relu(relu_between),
                conv_pw=nn.Conv2d(in_channels, out_channels, 1, bias=False),
                bn_pw=nn.BatchNorm2d(out_channels, eps=bn_eps),
                act_pw=relu(relu_after),
            )
        )
