"""FPN with BN (CLIFFNet form)."""

import pytest
import torch
import torch.nn.functional as F

from mmdepthsr.models.necks import FPN
from mmdepthsr.registry import MODELS

EPS = 1e-5


def _n_params(model):
    return sum(p.numel() for p in model.parameters())


def test_shapes_and_parameter_count():
    neck = MODELS.build(
        dict(type='FPN', in_channels=(256, 512, 1024, 2048), out_channels=256)
    )
    # laterals: 1x1 convs without bias + BN; outputs: 3x3 convs + BN
    lateral = (256 + 512 + 1024 + 2048) * 256 + 4 * 2 * 256
    output = 4 * (256 * 256 * 9 + 2 * 256)
    assert _n_params(neck) == lateral + output == 3_346_432
    feats = [
        torch.randn(1, 256, 15, 19),
        torch.randn(1, 512, 8, 10),
        torch.randn(1, 1024, 4, 5),
        torch.randn(1, 2048, 2, 3),
    ]
    outs = neck(feats)
    assert [tuple(o.shape) for o in outs] == [
        (1, 256, 15, 19),
        (1, 256, 8, 10),
        (1, 256, 4, 5),
        (1, 256, 2, 3),
    ]


def _identity_fpn(top_down):
    """2-level FPN whose convs are identities (eval-mode BN then scales by
    1 / sqrt(1 + eps))."""
    neck = FPN(in_channels=(2, 2), out_channels=2, top_down=top_down).eval()
    with torch.no_grad():
        for conv in neck.lateral_convs:
            conv[0].weight.zero_()
            conv[0].weight[:, :, 0, 0] = torch.eye(2)
        for conv in neck.fpn_convs:
            conv[0].weight.zero_()
            conv[0].weight[:, :, 1, 1] = torch.eye(2)
    return neck


@pytest.mark.parametrize('top_down', ['merged', 'output'])
def test_top_down_values(top_down):
    neck = _identity_fpn(top_down)
    s = 1 / (1 + EPS) ** 0.5
    c0 = torch.rand(1, 2, 8, 10)
    c1 = torch.rand(1, 2, 4, 5)
    with torch.no_grad():
        p0, p1 = neck([c0, c1])
    torch.testing.assert_close(p1, s * s * c1)
    carried = s * c1 if top_down == 'merged' else s * s * c1
    up = F.interpolate(carried, (8, 10), mode='bilinear', align_corners=False)
    torch.testing.assert_close(p0, s * (s * c0 + up))


def test_gradients_and_errors():
    neck = FPN(in_channels=(4, 8), out_channels=4)
    c0 = torch.randn(2, 4, 8, 8)
    c1 = torch.randn(2, 8, 4, 4, requires_grad=True)
    sum(o.sum() for o in neck([c0, c1])).backward()
    assert c1.grad.abs().sum() > 0
    assert neck.lateral_convs[1][0].weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match='FPN: expected 2 inputs'):
        neck([c0])
    with pytest.raises(ValueError, match='FPN: input 1'):
        neck([c0, torch.randn(2, 3, 4, 4)])
    with pytest.raises(ValueError, match='top_down'):
        FPN(in_channels=(4,), top_down='nearest')
