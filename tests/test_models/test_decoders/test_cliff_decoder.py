"""CLIFF fusion unit and CLIFFNet decoder."""

import pytest
import torch
import torch.nn.functional as F

from mmdepthsr.models.decoders import CLIFFDecoder, CLIFFFusion
from mmdepthsr.registry import MODELS

EPS = 1e-5


def _n_params(model):
    return sum(p.numel() for p in model.parameters())


def _up(x, size):
    return F.interpolate(x, size, mode='bilinear', align_corners=False)


def test_fusion_parameter_count():
    # two 3x3 convs 512 -> 256 without bias, each with BN
    assert _n_params(CLIFFFusion(256)) == 2 * (512 * 256 * 9 + 2 * 256)
    assert _n_params(CLIFFFusion(256)) == 2_360_320


def test_fusion_identity_with_zero_convs():
    unit = MODELS.build(dict(type='CLIFFFusion', channels=4)).train()
    with torch.no_grad():
        unit.gate_conv[0].weight.zero_()
        unit.fuse_conv[0].weight.zero_()
    x_l = torch.randn(2, 4, 8, 12)
    x_h = torch.randn(2, 4, 4, 6)
    out = unit(x_l, x_h)
    torch.testing.assert_close(out, _up(x_h, (8, 12)))


def test_fusion_hand_computed_values():
    """One channel, 1x1 centre taps: check the order of steps 2-5."""
    unit = CLIFFFusion(channels=1).eval()
    a, b, c, d = 0.5, 2.0, -1.0, 3.0
    with torch.no_grad():
        unit.gate_conv[0].weight.zero_()
        unit.gate_conv[0].weight[0, :, 1, 1] = torch.tensor([a, b])
        unit.fuse_conv[0].weight.zero_()
        unit.fuse_conv[0].weight[0, :, 1, 1] = torch.tensor([c, d])
    s = 1 / (1 + EPS) ** 0.5
    x_l = torch.rand(1, 1, 6, 6)
    x_h = torch.rand(1, 1, 3, 3)
    with torch.no_grad():
        out = unit(x_l, x_h)
    h = _up(x_h, (6, 6))
    z = torch.relu(s * (a * x_l + b * x_l * h))
    y = torch.relu(s * (c * h + d * z))
    torch.testing.assert_close(out, y + h)


def test_fusion_errors():
    with pytest.raises(ValueError, match='CLIFFFusion: `x_h`'):
        CLIFFFusion(4)(torch.randn(1, 4, 4, 4), torch.randn(1, 3, 2, 2))


def test_decoder_parameter_count_and_shape():
    dec = MODELS.build(dict(type='CLIFFDecoder'))
    subnets = 4 * (256 * 256 * 9 + 2 * 256)
    fusions = 3 * 2_360_320
    head_conv = 256 * 256 * 9 + 2 * 256
    # the release's last conv (256 * 9 + 1) is CLIFFHead's
    assert _n_params(dec) == subnets + fusions + head_conv == 10_032_640
    assert dec.out_channels == 256
    small = CLIFFDecoder(in_channels=8, channels=8, head_channels=8)
    feats = [
        torch.randn(2, 8, 15, 19),
        torch.randn(2, 8, 8, 10),
        torch.randn(2, 8, 4, 5),
        torch.randn(2, 8, 2, 3),
    ]
    assert tuple(small(feats).shape) == (2, 8, 15, 19)


def test_decoder_top_down_order():
    """With zeroed CLIFF convs, F2 = up(P5'): only the top level and the
    finest grid matter for the head input."""
    dec = CLIFFDecoder(in_channels=4, channels=4, head_channels=4).eval()
    with torch.no_grad():
        for unit in dec.fusions:
            unit.gate_conv[0].weight.zero_()
            unit.fuse_conv[0].weight.zero_()
    feats = [torch.randn(1, 4, 16 >> i, 16 >> i) for i in range(4)]
    with torch.no_grad():
        ref = dec(feats)
        feats2 = [torch.randn_like(f) for f in feats[:3]] + [feats[3]]
        out = dec(feats2)
    torch.testing.assert_close(out, ref)


def test_decoder_gradients():
    dec = CLIFFDecoder(in_channels=8, channels=8, head_channels=8)
    feats = [
        torch.randn(2, 8, 16 >> i, 16 >> i, requires_grad=True)
        for i in range(4)
    ]
    dec(feats).pow(2).mean().backward()
    for f in feats:
        assert f.grad is not None and f.grad.abs().sum() > 0
    for name, p in dec.named_parameters():
        assert p.grad is not None, name
    with pytest.raises(ValueError, match='CLIFFDecoder: expected 4'):
        dec(feats[:3])
