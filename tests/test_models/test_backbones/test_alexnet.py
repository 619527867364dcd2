"""AlexNet conv1-5 stack of Eigen 2014: shapes, parameters, LRN."""

import pytest
import torch
import torch.nn.functional as F

from mmdepthsr.models.backbones import AlexNet


def _stage_shapes(model, size):
    x = torch.zeros(1, 3, *size)
    with torch.no_grad():
        conv1 = model.conv1(x)
        outs = model(x)
    return tuple(conv1.shape[1:]), [tuple(o.shape[1:]) for o in outs]


def test_nyu_layer_table():
    """Eigen 2014 release layer table, input 3 x 228 x 304."""
    model = AlexNet(out_indices=(0, 1, 2, 3, 4))
    conv1, stages = _stage_shapes(model, (228, 304))
    assert conv1 == (96, 56, 75)
    assert stages == [
        (96, 27, 37),
        (256, 13, 18),
        (384, 13, 18),
        (384, 13, 18),
        (256, 6, 8),
    ]
    assert 256 * 6 * 8 == 12288


def test_kitti_layer_table():
    """KITTI input 3 x 172 x 576 -> 96x20x71 -> 256x9x35 -> 256x4x17."""
    model = AlexNet(out_indices=(0, 1, 4))
    conv1, stages = _stage_shapes(model, (172, 576))
    assert conv1 == (96, 42, 143)
    assert stages == [(96, 20, 71), (256, 9, 35), (256, 4, 17)]
    assert 256 * 4 * 17 == 17408


def test_default_returns_conv5_only():
    model = AlexNet()
    outs = model(torch.zeros(2, 3, 228, 304))
    assert len(outs) == 1 and outs[0].shape == (2, 256, 6, 8)
    assert model.out_channels == 256


def test_parameter_counts():
    # 96*3*121+96 + 256*96*25+256 + 384*256*9+384 + 384*384*9+384
    # + 256*384*9+256
    assert sum(p.numel() for p in AlexNet().parameters()) == 3_747_200
    # torchvision's AlexNet.features: 64-192-384-256-256, no LRN
    tv = AlexNet(widths=(64, 192, 384, 256, 256), lrn=None)
    assert sum(p.numel() for p in tv.parameters()) == 2_469_696
    assert isinstance(tv.lrn, torch.nn.Identity)


def test_lrn_is_cuda_convnet_cmrnorm():
    """y = x * (2 + 1e-4 * sum over 5 neighbouring channels of x^2)^-0.75."""
    torch.manual_seed(0)
    x = torch.randn(2, 7, 3, 4) * 30
    y = AlexNet().lrn(x)
    sq = F.pad(x**2, (0, 0, 0, 0, 2, 2))  # zero channels beyond the ends
    window = sum(sq[:, i : i + 7] for i in range(5))
    expected = x * (2 + 1e-4 * window) ** -0.75
    torch.testing.assert_close(y, expected, rtol=1e-5, atol=1e-6)
    # the window is 5 channels wide and centred: channel 0 sees 0, 1, 2
    manual = x[:, 0] * (2 + 1e-4 * (x[:, :3] ** 2).sum(1)) ** -0.75
    torch.testing.assert_close(y[:, 0], manual, rtol=1e-5, atol=1e-6)


def test_stage1_order_pool_relu_lrn():
    """Eigen's order conv -> pool -> ReLU -> LRN (LRN after the pool)."""
    torch.manual_seed(0)
    model = AlexNet(out_indices=(0,))
    x = torch.randn(1, 3, 228, 304) * 50
    with torch.no_grad():
        # large activations, so that the LRN is far from a constant factor
        model.conv1.weight.mul_(20)
        model.conv1.bias.mul_(20)
        conv = model.conv1(x)
        out = model(x)[0]
    expected = model.lrn(F.relu(F.max_pool2d(conv, 3, 2)))
    torch.testing.assert_close(out, expected)
    # LRN before the pool (Krizhevsky's order) is a different function
    other = F.max_pool2d(model.lrn(F.relu(conv)), 3, 2)
    assert (other - out).abs().max() > 1e-3


@pytest.mark.parametrize(
    'kwargs', [dict(widths=(96, 256, 384)), dict(out_indices=(5,))]
)
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError, match='AlexNet'):
        AlexNet(**kwargs)
