"""DepthToSemantic: shapes, parameter counts, the product path, gradients
and error messages."""

import pytest
import torch
import torch.nn.functional as F

from mmdepthsr.models.interactions import DepthToSemantic
from mmdepthsr.registry import MODELS


def _num_params(module):
    return sum(p.numel() for p in module.parameters())


def test_param_count_sosd_widths():
    expected = (
        (256 * 9 * 64 + 64)  # depth cue 3x3 256->64
        + (64 * 9 * 32 + 32)  # depth cue 3x3 64->32
        + (256 * 32 + 32)  # semantic projection 1x1 256->32
        + (32 * 32 + 32)  # 1x1 conv 32 after the product
        + (288 * 9 * 256 + 256)  # fuse 3x3 (256 + 32)->256
    )
    assert _num_params(DepthToSemantic(256, 256)) == expected == 839072
    # Paper head on NYU-40: fuse 3x3 288->40; depth map as guide (1 ch).
    head = DepthToSemantic(256, 1, out_channels=40, scale_factor=4)
    assert _num_params(head) == (
        1 * 9 * 64 + 64 + 18464 + 8224 + 1056 + 288 * 9 * 40 + 40
    )


def test_shapes_and_guide_resize():
    torch.manual_seed(0)
    unit = MODELS.build(
        dict(type='DepthToSemantic', channels=8, guide_channels=5)
    )
    x = torch.randn(2, 8, 12, 16)
    assert unit(x, torch.randn(2, 5, 12, 16)).shape == x.shape
    guide = torch.randn(2, 5, 24, 32)  # guide at a finer resolution
    down = F.interpolate(guide, size=(12, 16), mode='bilinear')
    torch.testing.assert_close(unit(x, guide), unit(x, down))
    head = DepthToSemantic(8, 1, out_channels=13, scale_factor=4)
    assert head(x, torch.rand(2, 1, 3, 4)).shape == (2, 13, 48, 64)


def test_output_is_fuse_of_x_and_gated_product():
    torch.manual_seed(0)
    unit = DepthToSemantic(4, 2, mid_channels=(6, 3))
    x, guide = torch.randn(1, 4, 5, 5), torch.randn(1, 2, 5, 5)
    product = unit.depth_cue(guide) * unit.sem_proj(x)
    assert product.shape == (1, 3, 5, 5)
    expected = unit.fuse(torch.cat([x, unit.mix(product)], 1))
    torch.testing.assert_close(unit(x, guide), expected)


def test_gradients_reach_x_and_guide():
    torch.manual_seed(0)
    unit = DepthToSemantic(4, 2, mid_channels=(6, 3))
    x = torch.randn(1, 4, 6, 6, requires_grad=True)
    guide = torch.randn(1, 2, 3, 3, requires_grad=True)
    unit(x, guide).square().sum().backward()
    assert x.grad.abs().sum() > 0 and guide.grad.abs().sum() > 0


def test_errors_name_the_unit():
    unit = DepthToSemantic(4, 2)
    with pytest.raises(ValueError, match='DepthToSemantic: x has 3'):
        unit(torch.randn(1, 3, 4, 4), torch.randn(1, 2, 4, 4))
    with pytest.raises(ValueError, match='DepthToSemantic: guide has 1'):
        unit(torch.randn(1, 4, 4, 4), torch.randn(1, 1, 4, 4))
    with pytest.raises(ValueError, match='DepthToSemantic: mid_channels'):
        DepthToSemantic(4, 2, mid_channels=(64,))
    with pytest.raises(ValueError, match='DepthToSemantic: guide_channels'):
        DepthToSemantic(4, -1)


def test_context_size_prior_and_unfused_output():
    # SOSD-Net wiring: the 64/32 "3D latent" convs read the common
    # representation; the head's conv replaces the fuse conv.
    torch.manual_seed(0)
    unit = DepthToSemantic(8, 6, context_channels=5, fuse=False)
    assert unit.out_channels == 8 + 32 and unit.fuse is None
    assert not hasattr(unit, 'sem_proj')
    # size_prior: 3x3 5->64, 3x3 64->32 (with biases).
    assert _num_params(unit.size_prior) == (5 * 9 + 1) * 64 + (64 * 9 + 1) * 32
    x, guide = torch.randn(2, 8, 6, 8), torch.randn(2, 6, 6, 8)
    context = torch.randn(2, 5, 6, 8)
    out = unit(x, guide, context=context)
    assert out.shape == (2, 40, 6, 8)
    torch.testing.assert_close(out[:, :8], x)
    product = unit.depth_cue(guide) * unit.size_prior(context)
    torch.testing.assert_close(out[:, 8:], unit.mix(product))
    with pytest.raises(ValueError, match='needs the `context` map'):
        unit(x, guide)
    with pytest.raises(ValueError, match='with fuse=False it must be None'):
        DepthToSemantic(8, 6, fuse=False, out_channels=3)
