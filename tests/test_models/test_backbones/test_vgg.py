"""VGG16 conv stack (Eigen & Fergus 2015 scale 1) and torchvision keys."""

import pytest
import torch
import torch.nn.functional as F

from mmdepthsr.models.backbones import VGG16, vgg16_from_torchvision
from mmdepthsr.registry import MODELS

# torchvision vgg16 ``features``: (index, out, in) of the 13 convs; ReLUs and
# max pools fill the other indices.
TV_CONVS = (
    (0, 64, 3),
    (2, 64, 64),
    (5, 128, 64),
    (7, 128, 128),
    (10, 256, 128),
    (12, 256, 256),
    (14, 256, 256),
    (17, 512, 256),
    (19, 512, 512),
    (21, 512, 512),
    (24, 512, 512),
    (26, 512, 512),
    (28, 512, 512),
)
TV_CLASSIFIER = {
    'classifier.0.weight': (4096, 25088),
    'classifier.0.bias': (4096,),
    'classifier.3.weight': (4096, 4096),
    'classifier.3.bias': (4096,),
    'classifier.6.weight': (1000, 4096),
    'classifier.6.bias': (1000,),
}


def torchvision_vgg16_state_dict(seed=0, classifier=True):
    """Random tensors under torchvision's exact vgg16 keys and shapes."""
    gen = torch.Generator().manual_seed(seed)
    sd = {}
    for index, cout, cin in TV_CONVS:
        sd[f'features.{index}.weight'] = (
            torch.randn(cout, cin, 3, 3, generator=gen) * 0.05
        )
        sd[f'features.{index}.bias'] = torch.randn(cout, generator=gen) * 0.1
    if classifier:
        # zero-stride views: exact shapes without allocating 400 MB
        for key, shape in TV_CLASSIFIER.items():
            sd[key] = torch.zeros(1).expand(*shape)
    return sd


def _n_params(model):
    return sum(p.numel() for p in model.parameters())


def test_parameter_count_matches_torchvision_features():
    assert _n_params(VGG16()) == 14_714_688
    assert _n_params(VGG16(valid_conv1=True)) == 14_714_688
    sd = torchvision_vgg16_state_dict(classifier=False)
    assert sum(v.numel() for v in sd.values()) == 14_714_688


@pytest.mark.parametrize(
    'valid_conv1, shapes',
    [
        (
            False,
            [
                (64, 228, 304),
                (128, 114, 152),
                (256, 57, 76),
                (512, 28, 38),
                (512, 14, 19),
                (512, 7, 9),
            ],
        ),
        (
            True,
            [
                (64, 224, 300),
                (128, 112, 150),
                (256, 56, 75),
                (512, 28, 37),
                (512, 14, 18),
                (512, 7, 9),
            ],
        ),
    ],
)
def test_eigen_fergus_layer_table(valid_conv1, shapes):
    """Eigen & Fergus 2015 scale 1: 228 x 304 -> pool5 512 x 7 x 9."""
    model = VGG16(valid_conv1=valid_conv1, out_indices=range(6))
    with torch.no_grad():
        outs = model(torch.zeros(1, 3, 228, 304))
    assert [tuple(o.shape[1:]) for o in outs] == shapes
    # the scale-1 fc layer flattens pool5
    assert outs[-1][0].numel() == 32256


def test_default_output_and_conv1_padding():
    model = VGG16()
    assert model.out_indices == (4,) and model.out_channels == (512,)
    assert model.conv1_1.padding == (1, 1)
    assert VGG16(valid_conv1=True).conv1_2.padding == (0, 0)
    assert VGG16(valid_conv1=True).conv2_1.padding == (1, 1)
    assert VGG16(out_indices=(1,)).out_channels == (128,)
    assert VGG16(out_indices=(5,)).out_channels == (512,)


def test_forward_matches_functional_reference():
    """Stage 1 and 2 by hand: conv-ReLU x2, 2x2 pool, conv-ReLU x2."""
    torch.manual_seed(0)
    model = VGG16(valid_conv1=True, out_indices=(0, 1))
    x = torch.randn(2, 3, 20, 24)
    with torch.no_grad():
        c1, c2 = model(x)
        y = F.relu(F.conv2d(x, model.conv1_1.weight, model.conv1_1.bias))
        y = F.relu(F.conv2d(y, model.conv1_2.weight, model.conv1_2.bias))
        torch.testing.assert_close(c1, y)
        assert c1.shape == (2, 64, 16, 20)
        y = F.max_pool2d(y, 2)
        for conv in (model.conv2_1, model.conv2_2):
            y = F.relu(F.conv2d(y, conv.weight, conv.bias, padding=1))
        torch.testing.assert_close(c2, y)


def test_frozen_stages():
    model = VGG16(frozen_stages=1)
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    assert frozen == {
        f'conv{s}_{j}.{p}'
        for s in (1, 2)
        for j in (1, 2)
        for p in ('weight', 'bias')
    }
    assert all(p.requires_grad for p in VGG16().parameters())


def test_key_mapping():
    sd = torchvision_vgg16_state_dict()
    ours = vgg16_from_torchvision(sd)
    assert len(ours) == 26
    assert ours['conv1_1.weight'] is sd['features.0.weight']
    assert ours['conv2_1.bias'] is sd['features.5.bias']
    assert ours['conv3_3.weight'] is sd['features.14.weight']
    assert ours['conv5_3.bias'] is sd['features.28.bias']
    assert not any(k.startswith('classifier') for k in ours)
    # a whole-checkpoint dict is accepted as well
    assert vgg16_from_torchvision({'state_dict': sd}).keys() == ours.keys()


def test_load_torchvision_state_dict_and_forward():
    sd = torchvision_vgg16_state_dict(seed=1)
    model = VGG16(out_indices=(0,))
    model.load_torchvision_state_dict(sd)
    assert torch.equal(model.conv1_1.weight, sd['features.0.weight'])
    assert torch.equal(model.conv4_2.weight, sd['features.19.weight'])
    assert torch.equal(model.conv5_1.bias, sd['features.24.bias'])
    x = torch.randn(1, 3, 12, 16, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        out = model(x)[0]
    ref = F.relu(
        F.conv2d(x, sd['features.0.weight'], sd['features.0.bias'], padding=1)
    )
    ref = F.relu(
        F.conv2d(
            ref, sd['features.2.weight'], sd['features.2.bias'], padding=1
        )
    )
    torch.testing.assert_close(out, ref)


def test_build_from_config_loads_file(tmp_path):
    sd = torchvision_vgg16_state_dict(seed=3, classifier=False)
    path = tmp_path / 'vgg16-synthetic.pth'
    torch.save(sd, path)
    model = MODELS.build(
        dict(type='VGG16', valid_conv1=True, torchvision_checkpoint=str(path))
    )
    assert not torch.equal(model.conv3_1.weight, sd['features.10.weight'])
    model.init_weights()
    assert torch.equal(model.conv3_1.weight, sd['features.10.weight'])
    assert torch.equal(model.conv1_2.bias, sd['features.2.bias'])


def test_missing_and_unexpected_keys():
    sd = torchvision_vgg16_state_dict(classifier=False)
    del sd['features.7.weight']
    sd['features.30.weight'] = torch.zeros(1)
    with pytest.raises(ValueError) as err:
        vgg16_from_torchvision(sd, source='my.pth')
    msg = str(err.value)
    assert 'my.pth' in msg
    assert 'missing keys: features.7.weight' in msg
    assert 'unexpected keys: features.30.weight' in msg


def test_shape_mismatch():
    sd = torchvision_vgg16_state_dict(classifier=False)
    sd['features.12.weight'] = torch.zeros(256, 128, 3, 3)
    with pytest.raises(ValueError, match=r'features\.12\.weight -> conv3_2'):
        VGG16().load_torchvision_state_dict(sd)
    # against the model: 4 input channels cannot take RGB weights
    sd = torchvision_vgg16_state_dict(classifier=False)
    with pytest.raises(ValueError, match=r'expected \(64, 4, 3, 3\)'):
        VGG16(in_channels=4).load_torchvision_state_dict(sd)


@pytest.mark.parametrize(
    'kwargs',
    [
        dict(out_indices=(6,)),
        dict(out_indices=()),
        dict(frozen_stages=5),
        dict(torchvision_checkpoint='a.pth', init_cfg=dict(type='Pretrained')),
    ],
)
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError, match='VGG16'):
        VGG16(**kwargs)
