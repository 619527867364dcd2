"""DepthGuidedSRFusion and the reverse SRGuidedDepthFusion (same layers,
roles swapped): shapes, parameter counts, identity at initialisation,
gradients and error messages."""

import pytest
import torch
import torch.nn.functional as F

from mmdepthsr.models.interactions import (
    DepthGuidedSRFusion,
    SRGuidedDepthFusion,
)
from mmdepthsr.registry import MODELS

pytestmark = pytest.mark.parametrize(
    'unit_cls', [DepthGuidedSRFusion, SRGuidedDepthFusion]
)


def _num_params(module):
    return sum(p.numel() for p in module.parameters())


def _expected_params(c, cg, k=3):
    return (
        (cg * c + c)  # guide projection 1x1 Cg->C
        + 2 * (c * k * k + 1)  # two guidance maps k x k C->1
        + (3 * c * k * k * c + c)  # fuse k x k 3C->C
        + (c * k * k * c + c)  # output conv k x k C->C
    )


def test_param_count(unit_cls):
    assert _num_params(unit_cls(64, 64)) == _expected_params(64, 64) == 152898
    assert _num_params(unit_cls(64, 128)) == 156994
    assert _num_params(unit_cls(16, 8, kernel_size=1)) == _expected_params(
        16, 8, k=1
    )


def test_shapes_and_guide_resize(unit_cls):
    torch.manual_seed(0)
    unit = MODELS.build(
        dict(
            type=unit_cls.__name__,
            channels=8,
            guide_channels=4,
            zero_init=False,
        )
    )
    x = torch.randn(2, 8, 12, 16)
    assert unit(x, torch.randn(2, 4, 12, 16)).shape == x.shape
    guide = torch.randn(2, 4, 6, 8)  # coarser guide
    up = F.interpolate(guide, size=(12, 16), mode='bilinear')
    out = unit(x, guide)
    assert out.shape == x.shape
    torch.testing.assert_close(out, unit(x, up))
    assert not torch.allclose(out, x)


def test_identity_at_init_when_zero_init(unit_cls):
    torch.manual_seed(0)
    unit = unit_cls(8, 4)  # zero_init=True by default
    x = torch.randn(2, 8, 10, 10, requires_grad=True)
    guide = torch.randn(2, 4, 5, 5, requires_grad=True)
    out = unit(x, guide)
    torch.testing.assert_close(out, x)
    out.square().sum().backward()
    # The residual branch still learns: its last conv gets a gradient.
    assert unit.out_conv.weight.grad.abs().sum() > 0
    torch.testing.assert_close(x.grad, 2 * x.detach())


def test_residual_matches_hand_composition(unit_cls):
    torch.manual_seed(0)
    unit = unit_cls(3, 2, zero_init=False)
    x, guide = torch.randn(1, 3, 4, 4), torch.randn(1, 2, 4, 4)
    g = torch.relu(unit.guide_proj[0](guide))
    a = torch.sigmoid(unit.map_x(x))
    b = torch.sigmoid(unit.map_guide(g))
    cat = torch.cat([x * b, g * a, x * g], 1)
    expected = x + unit.out_conv(torch.relu(unit.fuse[0](cat)))
    torch.testing.assert_close(unit(x, guide), expected)


def test_gradients_reach_x_and_guide(unit_cls):
    torch.manual_seed(0)
    unit = unit_cls(4, 3, zero_init=False)
    x = torch.randn(1, 4, 6, 6, requires_grad=True)
    guide = torch.randn(1, 3, 3, 3, requires_grad=True)
    unit(x, guide).square().sum().backward()
    assert x.grad.abs().sum() > 0 and guide.grad.abs().sum() > 0


def test_errors_name_the_unit(unit_cls):
    unit = unit_cls(4, 3)
    with pytest.raises(ValueError, match=f'{unit_cls.__name__}: x has 5'):
        unit(torch.randn(1, 5, 4, 4), torch.randn(1, 3, 4, 4))
    with pytest.raises(ValueError, match=f'{unit_cls.__name__}: guide has 4'):
        unit(torch.randn(1, 4, 4, 4), torch.randn(1, 4, 4, 4))
    with pytest.raises(ValueError, match=f'{unit_cls.__name__}: batch sizes'):
        unit(torch.randn(1, 4, 4, 4), torch.randn(3, 3, 4, 4))
    with pytest.raises(ValueError, match=f'{unit_cls.__name__}: kernel_size'):
        unit_cls(4, 3, kernel_size=4)
