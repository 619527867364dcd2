"""DeepLabV3PlusDecoder: shapes, the 48-channel projection, parameter
counts, the stage interface and errors."""

import pytest
import torch
import torch.nn.functional as F
from mmcv.cnn import DepthwiseSeparableConvModule

from mmdepthsr.models.decoders import DeepLabV3PlusDecoder
from mmdepthsr.models.layers import ConvBNReLU
from mmdepthsr.registry import MODELS


def _n_params(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize('separable', [False, True])
def test_shapes_and_interface(separable):
    torch.manual_seed(0)
    dec = MODELS.build(
        dict(
            type='DeepLabV3PlusDecoder',
            in_channels=(6, 5),
            channels=8,
            separable=separable,
        )
    )
    assert dec.num_stages == 1
    assert dec.channels == (8,) and dec.scales == (4,)
    block = DepthwiseSeparableConvModule if separable else ConvBNReLU
    assert all(isinstance(m, block) for m in dec.fuse)
    # 256 x 512 input, stride-4 low level, OS16 ASPP output
    low, top = torch.randn(2, 6, 16, 32), torch.randn(2, 5, 4, 8)
    (out,) = dec((low, top))
    assert out.shape == (2, 8, 16, 32)
    torch.testing.assert_close(dec.forward_stage(0, None, (low, top)), out)


def test_low_level_projection_to_48_channels():
    dec = DeepLabV3PlusDecoder((256, 256)).eval()
    proj = dec.low_level_proj
    assert isinstance(proj, ConvBNReLU)
    assert (proj[0].in_channels, proj[0].out_channels) == (256, 48)
    assert proj[0].kernel_size == (1, 1)
    # concatenation of 48 + 256 channels into the first 3x3 conv
    assert dec.fuse[0][0].in_channels == 304
    assert dec.fuse[1][0].in_channels == 256


def test_concatenation_order_and_upsampling():
    """The first fused conv sees [projected low level, upsampled ASPP]."""
    dec = DeepLabV3PlusDecoder((1, 1), channels=1, low_level_channels=1).eval()
    with torch.no_grad():
        dec.low_level_proj[0].weight.fill_(0.0)
        first = dec.fuse[0][0]  # dense 3x3, 2 -> 1
        first.weight.zero_()
        first.weight[0, 1, 1, 1] = 1.0  # the centre tap of the ASPP part
        second = dec.fuse[1][0]
        second.weight.zero_()
        second.weight[0, 0, 1, 1] = 1.0
    top = torch.arange(4.0).view(1, 1, 2, 2)
    (out,) = dec((torch.zeros(1, 1, 8, 8), top))
    up = F.interpolate(top, size=(8, 8), mode='bilinear', align_corners=False)
    # two eval BNs with fresh statistics and ReLUs on non-negative values
    torch.testing.assert_close(out, up / (1 + 1e-5))


def test_parameter_counts():
    # 1x1 256 -> 48 + BN; 3x3 304 -> 256 + BN; 3x3 256 -> 256 + BN
    proj = 256 * 48 + 2 * 48
    dense = (304 * 256 * 9 + 512) + (256 * 256 * 9 + 512)
    separable = (304 * 9 + 608 + 304 * 256 + 512) + (
        256 * 9 + 512 + 256 * 256 + 512
    )
    assert _n_params(DeepLabV3PlusDecoder((256, 256))) == proj + dense
    assert (
        _n_params(DeepLabV3PlusDecoder((256, 256), separable=True))
        == (proj + separable)
        == 162_928
    )


def test_low_level_stride_sets_the_scale():
    assert DeepLabV3PlusDecoder((4, 4), low_level_stride=8).scales == (8,)


def test_errors():
    with pytest.raises(ValueError, match='in_channels'):
        DeepLabV3PlusDecoder((256,))
    with pytest.raises(ValueError, match='low_level_channels'):
        DeepLabV3PlusDecoder((4, 4), low_level_channels=0)
    dec = DeepLabV3PlusDecoder((4, 6), channels=2).eval()
    with pytest.raises(ValueError, match='one stage'):
        dec.forward_stage(1, None, ())
    with pytest.raises(
        ValueError, match=r'expected 2 maps \(low_level, aspp_out\)'
    ):
        dec([torch.zeros(1, 4, 8, 8)])
    with pytest.raises(ValueError, match=r'\(6, 4\) do not match'):
        dec([torch.zeros(1, 6, 8, 8), torch.zeros(1, 4, 2, 2)])
