"""ConcatFusionNeck: one concat-conv-BN-ReLU per level, by value."""

import pytest
import torch

from mmdepthsr.models.necks import ConcatFusionNeck


def test_fusion_by_value_and_shapes():
    neck = ConcatFusionNeck((2, 3), (1, 1), (4, 5)).eval()
    assert [f.block[0].in_channels for f in neck.fusions] == [3, 4]
    gen = torch.Generator().manual_seed(0)
    x = (
        torch.rand(1, 2, 8, 8, generator=gen),
        torch.rand(1, 3, 4, 4, generator=gen),
    )
    g = (
        torch.rand(1, 1, 8, 8, generator=gen),
        torch.rand(1, 1, 4, 4, generator=gen),
    )
    out = neck(x, g)
    assert [tuple(o.shape) for o in out] == [(1, 4, 8, 8), (1, 5, 4, 4)]
    block = neck.fusions[1].block
    expected = torch.relu(block[1](block[0](torch.cat([x[1], g[1]], 1))))
    torch.testing.assert_close(out[1], expected)


def test_bad_configuration_and_inputs():
    with pytest.raises(ValueError, match='one positive entry per level'):
        ConcatFusionNeck((2, 3), (1,), (4, 5))
    neck = ConcatFusionNeck((2,), (1,), (4,))
    with pytest.raises(ValueError, match='expected 1 image and guide'):
        neck((torch.zeros(1, 2, 4, 4),) * 2, (torch.zeros(1, 1, 4, 4),))
