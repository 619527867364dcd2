"""Every registered backbone returns a tuple of maps described by its
``out_channels`` and ``out_strides`` tuples (strides relative to the
input)."""

import pytest
import torch

import mmdepthsr.models  # noqa: F401  (registers the backbones)
from mmdepthsr.registry import MODELS

#: name -> (small config, input (C, H, W), exact strides). Sizes are chosen
#: so that every stride divides them; AlexNet's unpadded 3x3/2 pools drop
#: the last partial window, so its maps are ``H // s - 1`` or ``H // s``.
CASES = {
    'AlexNet': (
        dict(widths=(8, 16, 16, 16, 8), out_indices=(0, 1, 2, 3, 4)),
        (3, 228, 304),
        False,
    ),
    'VGG16': (dict(out_indices=(0, 1, 2, 3, 4, 5)), (3, 64, 96), True),
    'ResNet': (dict(depth=50, out_indices=(0, 1, 2, 3)), (3, 64, 96), True),
    'ResNet50': (dict(out_indices=(1, 3)), (3, 64, 32), True),
    'SceneNetEncoder': (dict(num_stages=3), (1, 16, 24), True),
    'DepthVGGEncoder': (dict(), (1, 16, 24), True),
    'LightConvEncoder': (
        dict(in_channels=1, channels=(4, 8, 8, 16)),
        (1, 32, 48),
        True,
    ),
    'Xception65': (dict(output_stride=8), (3, 64, 96), True),
}


def _registered_backbones():
    return sorted(
        name
        for name, cls in MODELS.module_dict.items()
        if cls.__module__.startswith('mmdepthsr.models.backbones.')
    )


def test_every_backbone_is_covered():
    assert _registered_backbones() == sorted(CASES)


@pytest.mark.parametrize('name', sorted(CASES))
def test_output_matches_declared_channels_and_strides(name):
    cfg, (c, h, w), exact = CASES[name]
    torch.manual_seed(0)
    model = MODELS.build(dict(type=name, **cfg)).eval()
    channels, strides = model.out_channels, model.out_strides
    assert type(channels) is tuple and type(strides) is tuple
    assert all(type(v) is int and v > 0 for v in channels + strides)
    with torch.no_grad():
        outs = model(torch.rand(2, c, h, w))
    assert type(outs) is tuple
    assert len(outs) == len(channels) == len(strides)
    for out, channel, stride in zip(outs, channels, strides):
        assert out.shape[:2] == (2, channel)
        if exact:
            assert (h / out.shape[2], w / out.shape[3]) == (stride, stride)
        else:
            assert h // stride - 1 <= out.shape[2] <= h // stride
            assert w // stride - 1 <= out.shape[3] <= w // stride
