"""State-dict shapes on the meta device equal those of a real module."""

import torch

from mmdepthsr.models.backbones import VGG16, ResNet
from mmdepthsr.models.backbones.torchvision_compat import (
    meta_state_dict_shapes,
    state_dict_shapes,
)


def test_meta_shapes_equal_real_shapes():
    real = state_dict_shapes(VGG16(in_channels=1))
    assert meta_state_dict_shapes(VGG16, in_channels=1) == real
    assert real['conv1_1.weight'] == (64, 1, 3, 3)
    assert len(real) == 26


def test_bn_step_counters_left_out():
    shapes = meta_state_dict_shapes(ResNet, depth=50)
    assert not any(k.endswith('num_batches_tracked') for k in shapes)
    # 53 convs + 53 BN layers x 4 tensors, as torchvision's resnet50 minus fc
    assert len(shapes) == 265
    assert shapes['layer4.2.bn3.running_var'] == (2048,)
    assert torch.Size(shapes['conv1.weight']) == (64, 3, 7, 7)
