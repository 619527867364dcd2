"""Tests of the depth-map encoders (CLIFFNet HEGs)."""

import pytest
import torch

from mmdepthsr.models.backbones import DepthVGGEncoder, SceneNetEncoder


def _count(module):
    return sum(p.numel() for p in module.parameters())


def test_scenenet_shapes_and_params():
    enc = SceneNetEncoder()
    outs = enc(torch.rand(2, 1, 9, 11))
    assert enc.out_names == ('relu1_1', 'relu1_2', 'relu2_1', 'relu2_2')
    assert isinstance(outs, tuple) and len(outs) == 4
    assert outs[1].shape == (2, 16, 9, 11)
    assert outs[3].shape == (2, 32, 5, 6)
    # convs (no bias): 1*16*9 + 16*16*9 + 16*32*9 + 32*32*9 = 16272,
    # BN weight + bias: 2 * (16 + 16 + 32 + 32) = 192.
    assert _count(enc) == 16272 + 192
    assert enc.out_channels == (16, 16, 32, 32)
    assert enc.out_strides == (1, 1, 2, 2)


def test_scenenet_third_stage():
    enc = SceneNetEncoder(num_stages=3)
    outs = enc(torch.rand(1, 1, 16, 16))
    assert enc.out_names[-1] == 'relu3_2'
    assert outs[-1].shape == (1, 64, 4, 4)
    # + 32*64*9 + 64*64*9 + 2 * (64 + 64)
    assert _count(enc) == 16464 + 18432 + 36864 + 256


def test_scenenet_depth_scale():
    torch.manual_seed(0)
    enc = SceneNetEncoder(depth_scale=10.0).eval()
    ref = SceneNetEncoder().eval()
    ref.load_state_dict(enc.state_dict())
    x = torch.rand(1, 1, 8, 8) * 10
    out = enc(x)[-1]
    assert torch.allclose(out, ref(x / 10)[-1])


def test_depth_vgg_shapes_and_params():
    enc = DepthVGGEncoder()
    outs = enc(torch.rand(2, 1, 16, 20))
    names = enc.out_names
    assert outs[names.index('relu1_2')].shape == (2, 64, 16, 20)
    assert outs[names.index('relu2_2')].shape == (2, 128, 8, 10)
    assert outs[-1].shape == (2, 256, 4, 5)
    assert names[-1] == 'relu3_3'
    assert enc.out_strides == (1, 1, 2, 2, 4, 4, 4)
    # conv1_1 1*64*9+64, conv1_2 64*64*9+64, conv2_1 64*128*9+128,
    # conv2_2 128*128*9+128, conv3_1 128*256*9+256, conv3_2/3 256*256*9+256
    expected = 640 + 36928 + 73856 + 147584 + 295168 + 2 * 590080
    assert _count(enc) == expected == 1734336


def test_bad_input():
    with pytest.raises(ValueError, match='SceneNetEncoder'):
        SceneNetEncoder()(torch.rand(1, 3, 8, 8))
    with pytest.raises(ValueError, match='DepthVGGEncoder'):
        DepthVGGEncoder()(torch.rand(1, 8, 8))
    with pytest.raises(ValueError, match='num_stages'):
        SceneNetEncoder(num_stages=4)
