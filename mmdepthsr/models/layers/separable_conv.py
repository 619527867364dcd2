"""Depthwise-separable convolution with batch normalisation and ReLU.

The separable convolution of ASPP and the decoder of DeepLabv3+ (Chen et
al., "Encoder-Decoder with Atrous Separable Convolution for Semantic Image
Segmentation", ECCV 2018, Sec. 3.2): ``depthwise k x k - BN - ReLU -
pointwise 1 x 1 - BN - ReLU``, no bias. It is mmcv's
``DepthwiseSeparableConvModule`` (also the separable convolution of
:class:`~mmdepthsr.models.backbones.Xception65`), configured once here.
"""

from mmcv.cnn import DepthwiseSeparableConvModule

__all__ = ['separable_conv_bn_relu']


def separable_conv_bn_relu(
    in_channels: int,
    out_channels: int,
    kernel_size: int = 3,
    stride: int = 1,
    dilation: int = 1,
) -> DepthwiseSeparableConvModule:
    """``depthwise - BN - ReLU - pointwise - BN - ReLU``.

    The depthwise padding ``dilation * (kernel_size // 2)`` keeps the size
    at stride 1.

    Args:
        in_channels (int): Input channels (also the depthwise width).
        out_channels (int): Output channels of the pointwise conv.
        kernel_size (int): Depthwise kernel. Defaults to 3.
        stride (int): Depthwise stride. Defaults to 1.
        dilation (int): Depthwise dilation. Defaults to 1.

    Returns:
        DepthwiseSeparableConvModule: With ``depthwise_conv`` and
        ``pointwise_conv`` (each a ``ConvModule``: ``conv``, ``bn``,
        ``activate``).

    Examples:
        >>> block = separable_conv_bn_relu(4, 6, dilation=2)
        >>> block.depthwise_conv.conv.padding
        (2, 2)
    """
    return DepthwiseSeparableConvModule(
        in_channels,
        out_channels,
        kernel_size,
        stride=stride,
        padding=dilation * (kernel_size // 2),
        dilation=dilation,
        norm_cfg=dict(type='BN'),
        act_cfg=dict(type='ReLU'),
    )
