"""SeparableConvBNReLU: keys, parameter counts, ReLU placement, strides."""

import pytest
import torch

from mmdepthsr.models.layers import SeparableConvBNReLU


def _n_params(module):
    return sum(p.numel() for p in module.parameters())


def test_keys_and_parameter_count():
    block = SeparableConvBNReLU(4, 6, dilation=3)
    assert [k for k in block.state_dict() if 'running' not in k] == [
        'conv_dw.weight',
        'bn_dw.weight',
        'bn_dw.bias',
        'bn_dw.num_batches_tracked',
        'conv_pw.weight',
        'bn_pw.weight',
        'bn_pw.bias',
        'bn_pw.num_batches_tracked',
    ]
    # depthwise 4*9 + BN 2*4, pointwise 4*6 + BN 2*6, no biases
    assert _n_params(block) == 36 + 8 + 24 + 12
    assert block.conv_dw.groups == 4
    assert block.conv_dw.dilation == (3, 3)
    assert block.conv_dw.padding == (3, 3)


@pytest.mark.parametrize(
    'size, stride, expected', [((9, 10), 1, (9, 10)), ((9, 10), 2, (5, 5))]
)
def test_output_size(size, stride, expected):
    block = SeparableConvBNReLU(2, 3, stride=stride, dilation=2)
    assert block(torch.zeros(1, 2, *size)).shape == (1, 3, *expected)


@pytest.mark.parametrize(
    'relu_between, relu_after, expected',
    # identity depthwise, pointwise sums the channels, BN in eval is the
    # identity: input channels (1, -2) -> relu between: 1 + 0, else -1
    [(True, True, 1.0), (False, True, 0.0), (False, False, -1.0)],
)
def test_relu_placement(relu_between, relu_after, expected):
    block = SeparableConvBNReLU(
        2, 1, relu_between=relu_between, relu_after=relu_after
    ).eval()
    with torch.no_grad():
        block.conv_dw.weight.zero_()
        block.conv_dw.weight[:, 0, 1, 1] = 1.0
        block.conv_pw.weight.fill_(1.0)
    x = torch.tensor([1.0, -2.0]).view(1, 2, 1, 1).expand(1, 2, 3, 3)
    out = block(x)
    torch.testing.assert_close(out, torch.full((1, 1, 3, 3), expected))


def test_bad_arguments():
    with pytest.raises(ValueError, match='kernel_size'):
        SeparableConvBNReLU(2, 2, kernel_size=2)
    with pytest.raises(ValueError, match='dilation'):
        SeparableConvBNReLU(2, 2, dilation=0)
