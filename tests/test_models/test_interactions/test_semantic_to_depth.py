"""SemanticToDepth: shapes, parameter counts, the objectness map, gradients
and error messages."""

import pytest
import torch
import torch.nn.functional as F

from mmdepthsr.models.interactions import SemanticToDepth
from mmdepthsr.registry import MODELS


def _num_params(module):
    return sum(p.numel() for p in module.parameters())


def test_param_count_sosd_widths():
    # 256-channel depth and semantic features (SOSD-Net at 1/4 resolution).
    # map A / map B: 3x3 256->2 (256*9*2 + 2) + 1x1 2->1 (2 + 1) = 4613 each.
    maps = 2 * (256 * 9 * 2 + 2 + 2 + 1)
    # fuse: 3x3 257->256.
    assert _num_params(SemanticToDepth(256, 256)) == maps + 257 * 9 * 256 + 256
    assert _num_params(SemanticToDepth(256, 256)) == 601610
    # Paper head: 3x3 257->1 and x4 upsampling.
    head = SemanticToDepth(256, 256, out_channels=1, scale_factor=4)
    assert _num_params(head) == maps + 257 * 9 + 1 == 11540


def test_shapes_and_guide_resize():
    torch.manual_seed(0)
    unit = MODELS.build(
        dict(type='SemanticToDepth', channels=8, guide_channels=6)
    )
    x = torch.randn(2, 8, 12, 16)
    assert unit(x, torch.randn(2, 6, 12, 16)).shape == x.shape
    # A guide at half resolution is resized bilinearly inside the unit:
    # the result equals feeding the pre-resized guide.
    guide = torch.randn(2, 6, 6, 8)
    up = F.interpolate(guide, size=(12, 16), mode='bilinear')
    torch.testing.assert_close(unit(x, guide), unit(x, up))
    head = SemanticToDepth(8, 6, out_channels=1, scale_factor=4)
    assert head(x, guide).shape == (2, 1, 48, 64)


def test_objectness_is_sqrt_of_softplus_product():
    torch.manual_seed(0)
    unit = SemanticToDepth(4, 3, eps=1e-6)
    x, guide = torch.randn(1, 4, 5, 5), torch.randn(1, 3, 5, 5)
    a = F.softplus(unit.map_a(x))
    b = F.softplus(unit.map_b(guide))
    obj = unit.objectness(x, guide)
    torch.testing.assert_close(obj, torch.sqrt(a * b + 1e-6))
    assert obj.shape == (1, 1, 5, 5) and bool((obj > 0).all())
    # The output is the fuse conv over [x, objectness].
    out = unit(x, guide)
    torch.testing.assert_close(out, unit.fuse(torch.cat([x, obj], 1)))


def test_gradients_reach_x_and_guide():
    torch.manual_seed(0)
    unit = SemanticToDepth(4, 3)
    x = torch.randn(1, 4, 6, 6, requires_grad=True)
    guide = torch.randn(1, 3, 3, 3, requires_grad=True)
    unit(x, guide).square().sum().backward()
    assert x.grad.abs().sum() > 0 and guide.grad.abs().sum() > 0
    assert torch.isfinite(guide.grad).all()
    assert unit.map_b[0].weight.grad.abs().sum() > 0


def test_errors_name_the_unit():
    unit = SemanticToDepth(4, 3)
    with pytest.raises(ValueError, match='SemanticToDepth: x has 5'):
        unit(torch.randn(1, 5, 4, 4), torch.randn(1, 3, 4, 4))
    with pytest.raises(ValueError, match='SemanticToDepth: guide has 2'):
        unit(torch.randn(1, 4, 4, 4), torch.randn(1, 2, 4, 4))
    with pytest.raises(ValueError, match='SemanticToDepth: batch sizes'):
        unit(torch.randn(2, 4, 4, 4), torch.randn(1, 3, 4, 4))
    with pytest.raises(ValueError, match='SemanticToDepth: x must be a 4-D'):
        unit(torch.randn(4, 4, 4), torch.randn(1, 3, 4, 4))
    with pytest.raises(ValueError, match='SemanticToDepth: channels'):
        SemanticToDepth(0, 3)
    with pytest.raises(ValueError, match='SemanticToDepth: map_kernel_size'):
        SemanticToDepth(4, 3, map_kernel_size=2)


def test_context_norm_and_unfused_output():
    # SOSD-Net wiring: map A reads the common representation (context),
    # BN in both maps, and the head's conv replaces the fuse conv.
    torch.manual_seed(0)
    unit = SemanticToDepth(
        8, 6, context_channels=5, norm=True, fuse=False
    ).eval()
    assert unit.out_channels == 9 and unit.fuse is None
    # map A: 3x3 5->2 without bias, BN(2), 1x1 2->1; map B the same on 6.
    assert _num_params(unit.map_a) == 5 * 9 * 2 + 4 + 3 == 97
    assert _num_params(unit) == 97 + (6 * 9 * 2 + 4 + 3)
    x, guide = torch.randn(2, 8, 6, 8), torch.randn(2, 6, 6, 8)
    context = torch.randn(2, 5, 3, 4)
    out = unit(x, guide, context=context)
    assert out.shape == (2, 9, 6, 8)
    torch.testing.assert_close(out[:, :8], x)
    up = F.interpolate(context, size=(6, 8), mode='bilinear')
    a = F.softplus(unit.map_a(up))
    b = F.softplus(unit.map_b(guide))
    torch.testing.assert_close(out[:, 8:], torch.sqrt(a * b + 1e-6))
    # The depth features do not enter map A any more.
    out2 = unit(torch.zeros_like(x), guide, context=context)
    torch.testing.assert_close(out2[:, 8:], out[:, 8:])


def test_context_errors():
    unit = SemanticToDepth(4, 3, context_channels=2)
    x, guide = torch.randn(1, 4, 4, 4), torch.randn(1, 3, 4, 4)
    with pytest.raises(ValueError, match='needs the `context` map'):
        unit(x, guide)
    with pytest.raises(ValueError, match=r'context must be \(N=1, 2'):
        unit(x, guide, context=torch.randn(1, 3, 4, 4))
    with pytest.raises(ValueError, match='context_channels is None'):
        SemanticToDepth(4, 3)(x, guide, context=torch.randn(1, 2, 4, 4))
    with pytest.raises(ValueError, match='context_channels must be'):
        SemanticToDepth(4, 3, context_channels=0)
    with pytest.raises(ValueError, match='with fuse=False it must be None'):
        SemanticToDepth(4, 3, fuse=False, out_channels=1)
