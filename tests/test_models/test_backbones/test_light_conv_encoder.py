"""LightConvEncoder: shapes, declared strides, parameter counts and bad
input."""

import pytest
import torch

from mmdepthsr.models.backbones import LightConvEncoder


def _n_params(module):
    return sum(p.numel() for p in module.parameters())


def test_encoder_shapes_and_params():
    enc = LightConvEncoder(in_channels=1, channels=(4, 8, 8, 16))
    feats = enc(torch.rand(2, 1, 48, 64))
    assert [tuple(f.shape) for f in feats] == [
        (2, 4, 24, 32),
        (2, 8, 12, 16),
        (2, 8, 6, 8),
        (2, 16, 3, 4),
    ]
    assert enc.out_channels == (4, 8, 8, 16)
    # per stage: conv(cin->c, 3x3, no bias) + BN(2c) + conv(c->c) + BN(2c)
    expected = 0
    cin = 1
    for c in (4, 8, 8, 16):
        expected += 9 * cin * c + 2 * c + 9 * c * c + 2 * c
        cin = c
    assert _n_params(enc) == expected
    assert _n_params(LightConvEncoder()) == 1_173_216


def test_encoder_bad_input():
    enc = LightConvEncoder(in_channels=3, channels=(4, 4, 4, 4))
    with pytest.raises(ValueError, match='LightConvEncoder.*divisible by 16'):
        enc(torch.rand(1, 3, 40, 40))
    with pytest.raises(ValueError, match='LightConvEncoder.*expected'):
        enc(torch.rand(1, 1, 32, 32))
    with pytest.raises(ValueError, match='channels'):
        LightConvEncoder(channels=(4, 4, 4))
