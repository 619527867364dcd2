"""ASPP neck: shapes, rates, parameter counts, image pooling, errors."""

import pytest
import torch
from mmcv.cnn import DepthwiseSeparableConvModule

from mmdepthsr.models.layers import ConvBNReLU
from mmdepthsr.models.necks import ASPP
from mmdepthsr.registry import MODELS


def _n_params(module):
    return sum(p.numel() for p in module.parameters())


def _atrous_dilations(neck):
    """Dilations read off the conv modules of the three 3x3 branches."""
    out = []
    for branch in neck.branches[1:]:
        conv = branch.depthwise_conv.conv if neck.separable else branch[0]
        assert conv.kernel_size == (3, 3)
        assert conv.padding == conv.dilation
        out.append(conv.dilation[0])
    return tuple(out)


@pytest.mark.parametrize('separable', [False, True])
@pytest.mark.parametrize(
    'output_stride, rates', [(16, (6, 12, 18)), (8, (12, 24, 36))]
)
def test_shapes_and_rates(output_stride, rates, separable):
    torch.manual_seed(0)
    neck = MODELS.build(
        dict(
            type='ASPP',
            in_channels=(4, 8),
            channels=6,
            output_stride=output_stride,
            separable=separable,
        )
    )
    assert neck.dilations == rates
    assert _atrous_dilations(neck) == rates
    assert neck.out_channels == (4, 6)
    # a 64 x 96 input: stride-4 low-level map, last map at the stride
    low = torch.randn(2, 4, 16, 24)
    top = torch.randn(2, 8, 64 // output_stride, 96 // output_stride)
    out_low, out = neck([low, top])
    assert out_low is low
    assert out.shape == (2, 6, 64 // output_stride, 96 // output_stride)


def test_explicit_dilations_override_output_stride():
    neck = ASPP((4, 8), channels=2, output_stride=32, dilations=(1, 3))
    assert neck.dilations == (1, 3)
    assert _atrous_dilations(neck) == (1, 3)
    # pool, 1x1, two atrous: the projection reads 4 * channels
    assert neck.project[0].in_channels == 8


def test_parameter_count_small():
    # in (4, 8), 4 channels; convs without bias, BN 2 per channel
    one_by_one = 8 * 4 + 2 * 4  # 1x1 branch; the pooling branch the same
    dense = 8 * 4 * 9 + 2 * 4
    separable = 8 * 9 + 2 * 8 + 8 * 4 + 2 * 4
    project = 5 * 4 * 4 + 2 * 4
    neck = ASPP((4, 8), channels=4)
    assert _n_params(neck) == 2 * one_by_one + 3 * dense + project == 1056
    neck = ASPP((4, 8), channels=4, separable=True)
    assert _n_params(neck) == 2 * one_by_one + 3 * separable + project
    assert _n_params(neck) == 552


def test_parameter_count_xception():
    # DeepLabv3+ with Xception-65: 2048 -> 5 x 256 -> 256, separable rates;
    # with the decoder (162,928) and a 21-class 1x1 classifier (5,397) it
    # is the 3.19 M that the paper's model has on top of the backbone
    neck = ASPP((256, 2048), separable=True)
    assert _n_params(neck) == 3_019_776
    assert _n_params(ASPP((256, 2048))) == 15_535_104


def test_image_pool_branch_on_a_constant_input():
    neck = ASPP((1, 2), channels=1, dilations=(1,)).eval()
    pool_conv = neck.image_pool[1][0]
    assert isinstance(neck.image_pool[1], ConvBNReLU)
    with torch.no_grad():
        pool_conv.weight.copy_(torch.tensor([2.0, -1.0]).view(1, 2, 1, 1))
    x = torch.empty(1, 2, 3, 5)
    x[:, 0] = 1.5
    x[:, 1] = 0.5
    pooled = neck.image_pool(x)
    # mean (1.5, 0.5) -> 2 * 1.5 - 0.5 = 2.5; BN in eval mode with fresh
    # statistics divides by sqrt(1 + 1e-5)
    expected = 2.5 / (1 + 1e-5) ** 0.5
    torch.testing.assert_close(pooled, torch.full((1, 1, 1, 1), expected))
    # it reaches the projection as a constant 3 x 5 map: with only the
    # pooling slice of the projection non-zero, the output is its relu
    with torch.no_grad():
        neck.project[0].weight.zero_()
        neck.project[0].weight[0, 0] = 1.0
    _, out = neck([torch.zeros(1, 1, 6, 10), x])
    torch.testing.assert_close(
        out, torch.full((1, 1, 3, 5), expected / (1 + 1e-5) ** 0.5)
    )


def test_dropout_only_in_training():
    torch.manual_seed(0)
    neck = ASPP((2, 3), channels=8, dilations=(1,), dropout_ratio=0.5)
    feats = [torch.randn(2, 2, 8, 8), torch.randn(2, 3, 4, 4)]
    neck.eval()
    a, b = neck(feats)[1], neck(feats)[1]
    torch.testing.assert_close(a, b)
    neck.train()
    assert (neck(feats)[1] == 0).float().mean() > 0.4
    assert isinstance(neck.branches[1], ConvBNReLU)
    assert isinstance(
        ASPP((2, 3), separable=True).branches[1], DepthwiseSeparableConvModule
    )


def test_low_level_index():
    neck = ASPP((2, 3, 5), channels=4, low_level_index=1).eval()
    assert neck.out_channels == (3, 4)
    feats = [torch.zeros(1, c, 4, 4) for c in (2, 3, 5)]
    low, out = neck(feats)
    assert low is feats[1] and out.shape == (1, 4, 4, 4)


def test_errors():
    with pytest.raises(ValueError, match='output_stride must be 8 or 16'):
        ASPP((4, 8), output_stride=32)
    with pytest.raises(ValueError, match='low_level_index'):
        ASPP((4, 8), low_level_index=1)
    with pytest.raises(ValueError, match='in_channels'):
        ASPP((8,))
    with pytest.raises(ValueError, match='dilations'):
        ASPP((4, 8), dilations=(6, 0))
    with pytest.raises(ValueError, match='dropout_ratio'):
        ASPP((4, 8), dropout_ratio=1.0)
    neck = ASPP((4, 8), channels=2).eval()
    with pytest.raises(ValueError, match='expected 2 maps'):
        neck([torch.zeros(1, 8, 2, 2)])
    with pytest.raises(ValueError, match=r'channels \(4, 6\) do not match'):
        neck([torch.zeros(1, 4, 4, 4), torch.zeros(1, 6, 2, 2)])
