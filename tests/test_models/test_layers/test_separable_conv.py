"""separable_conv_bn_relu: layout, parameter count, padding and ReLU
placement of the DeepLabv3+ separable convolution, by value."""

import pytest
import torch
import torch.nn.functional as F

from mmdepthsr.models.layers import separable_conv_bn_relu


def test_layout_and_parameter_count():
    block = separable_conv_bn_relu(4, 6, dilation=3)
    dw, pw = block.depthwise_conv, block.pointwise_conv
    assert dw.conv.groups == 4 and dw.conv.bias is None
    assert dw.conv.dilation == (3, 3) and dw.conv.padding == (3, 3)
    assert pw.conv.kernel_size == (1, 1) and pw.conv.bias is None
    # depthwise 4*9, BN 2*4, pointwise 4*6, BN 2*6
    assert sum(p.numel() for p in block.parameters()) == 36 + 8 + 24 + 12


@pytest.mark.parametrize('stride', [1, 2])
def test_output_size(stride):
    block = separable_conv_bn_relu(2, 3, stride=stride, dilation=2)
    out = block(torch.randn(1, 2, 9, 9))
    assert out.shape == (1, 3, (9 - 1) // stride + 1, (9 - 1) // stride + 1)


def test_relu_after_both_convs_by_value():
    block = separable_conv_bn_relu(1, 1, kernel_size=1).eval()
    with torch.no_grad():
        block.depthwise_conv.conv.weight.fill_(-1.0)
        block.pointwise_conv.conv.weight.fill_(-2.0)
    x = torch.tensor([[[[1.0, -3.0]]]])
    # BN in eval mode with fresh statistics: x / sqrt(1 + eps)
    scale = 1 / (1 + 1e-5) ** 0.5
    expected = F.relu(-2.0 * F.relu(-x * scale) * scale)
    torch.testing.assert_close(block(x), expected)
