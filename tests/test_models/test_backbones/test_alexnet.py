"""AlexNet conv1-5 stack of Eigen 2014: shapes, parameters, LRN."""

import pytest
import torch
import torch.nn.functional as F

from mmdepthsr.models.backbones import AlexNet, alexnet_from_torchvision
from mmdepthsr.models.backbones.alexnet import TORCHVISION_WIDTHS
from mmdepthsr.registry import MODELS


def _stage_shapes(model, size):
    x = torch.zeros(1, 3, *size)
    with torch.no_grad():
        conv1 = model.conv1(x)
        outs = model(x)
    return tuple(conv1.shape[1:]), [tuple(o.shape[1:]) for o in outs]


def test_nyu_layer_table():
    """Eigen 2014 release layer table, input 3 x 228 x 304."""
    model = AlexNet(out_indices=(0, 1, 2, 3, 4))
    conv1, stages = _stage_shapes(model, (228, 304))
    assert conv1 == (96, 56, 75)
    assert stages == [
        (96, 27, 37),
        (256, 13, 18),
        (384, 13, 18),
        (384, 13, 18),
        (256, 6, 8),
    ]
    assert 256 * 6 * 8 == 12288


def test_kitti_layer_table():
    """KITTI input 3 x 172 x 576 -> 96x20x71 -> 256x9x35 -> 256x4x17."""
    model = AlexNet(out_indices=(0, 1, 4))
    conv1, stages = _stage_shapes(model, (172, 576))
    assert conv1 == (96, 42, 143)
    assert stages == [(96, 20, 71), (256, 9, 35), (256, 4, 17)]
    assert 256 * 4 * 17 == 17408


def test_default_returns_conv5_only():
    model = AlexNet()
    outs = model(torch.zeros(2, 3, 228, 304))
    assert len(outs) == 1 and outs[0].shape == (2, 256, 6, 8)
    assert model.out_channels == (256,)
    assert model.out_strides == (32,)


def test_parameter_counts():
    # 96*3*121+96 + 256*96*25+256 + 384*256*9+384 + 384*384*9+384
    # + 256*384*9+256
    assert sum(p.numel() for p in AlexNet().parameters()) == 3_747_200
    # torchvision's AlexNet.features: 64-192-384-256-256, no LRN
    tv = AlexNet(widths=(64, 192, 384, 256, 256), lrn=None)
    assert sum(p.numel() for p in tv.parameters()) == 2_469_696
    assert isinstance(tv.lrn, torch.nn.Identity)


def test_lrn_is_cuda_convnet_cmrnorm():
    """y = x * (2 + 1e-4 * sum over 5 neighbouring channels of x^2)^-0.75."""
    torch.manual_seed(0)
    x = torch.randn(2, 7, 3, 4) * 30
    y = AlexNet().lrn(x)
    sq = F.pad(x**2, (0, 0, 0, 0, 2, 2))  # zero channels beyond the ends
    window = sum(sq[:, i : i + 7] for i in range(5))
    expected = x * (2 + 1e-4 * window) ** -0.75
    torch.testing.assert_close(y, expected, rtol=1e-5, atol=1e-6)
    # the window is 5 channels wide and centred: channel 0 sees 0, 1, 2
    manual = x[:, 0] * (2 + 1e-4 * (x[:, :3] ** 2).sum(1)) ** -0.75
    torch.testing.assert_close(y[:, 0], manual, rtol=1e-5, atol=1e-6)


def test_stage1_order_pool_relu_lrn():
    """Eigen's order conv -> pool -> ReLU -> LRN (LRN after the pool)."""
    torch.manual_seed(0)
    model = AlexNet(out_indices=(0,))
    x = torch.randn(1, 3, 228, 304) * 50
    with torch.no_grad():
        # large activations, so that the LRN is far from a constant factor
        model.conv1.weight.mul_(20)
        model.conv1.bias.mul_(20)
        conv = model.conv1(x)
        out = model(x)[0]
    expected = model.lrn(F.relu(F.max_pool2d(conv, 3, 2)))
    torch.testing.assert_close(out, expected)
    # LRN before the pool (Krizhevsky's order) is a different function
    other = F.max_pool2d(model.lrn(F.relu(conv)), 3, 2)
    assert (other - out).abs().max() > 1e-3


@pytest.mark.parametrize(
    'kwargs', [dict(widths=(96, 256, 384)), dict(out_indices=(5,))]
)
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError, match='AlexNet'):
        AlexNet(**kwargs)


# torchvision alexnet: ``features`` convs at indices 0, 3, 6, 8, 10.
TV_ALEXNET = {
    'features.0.weight': (64, 3, 11, 11),
    'features.0.bias': (64,),
    'features.3.weight': (192, 64, 5, 5),
    'features.3.bias': (192,),
    'features.6.weight': (384, 192, 3, 3),
    'features.6.bias': (384,),
    'features.8.weight': (256, 384, 3, 3),
    'features.8.bias': (256,),
    'features.10.weight': (256, 256, 3, 3),
    'features.10.bias': (256,),
    'classifier.1.weight': (4096, 9216),
    'classifier.1.bias': (4096,),
    'classifier.4.weight': (4096, 4096),
    'classifier.4.bias': (4096,),
    'classifier.6.weight': (1000, 4096),
    'classifier.6.bias': (1000,),
}


def torchvision_alexnet_state_dict(seed=0):
    """Random tensors under torchvision's exact alexnet keys and shapes."""
    gen = torch.Generator().manual_seed(seed)
    return {
        key: torch.randn(*shape, generator=gen) * 0.05
        if key.startswith('features')
        else torch.zeros(1).expand(*shape)  # exact shape, no memory
        for key, shape in TV_ALEXNET.items()
    }


def _torchvision_alexnet(**kwargs):
    return AlexNet(widths=TORCHVISION_WIDTHS, lrn=None, **kwargs)


def test_torchvision_key_mapping():
    sd = torchvision_alexnet_state_dict()
    ours = alexnet_from_torchvision(sd)
    assert sorted(ours) == sorted(
        f'conv{i}.{p}' for i in range(1, 6) for p in ('weight', 'bias')
    )
    assert ours['conv1.weight'] is sd['features.0.weight']
    assert ours['conv2.bias'] is sd['features.3.bias']
    assert ours['conv4.weight'] is sd['features.8.weight']
    assert ours['conv5.weight'] is sd['features.10.weight']


def test_load_torchvision_weights_and_forward():
    sd = torchvision_alexnet_state_dict(seed=1)
    model = _torchvision_alexnet(out_indices=(0, 4))
    model.load_torchvision_state_dict(sd)
    assert torch.equal(model.conv1.weight, sd['features.0.weight'])
    assert torch.equal(model.conv3.weight, sd['features.6.weight'])
    assert torch.equal(model.conv5.bias, sd['features.10.bias'])
    x = torch.randn(1, 3, 67, 67, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        stage1, _ = model(x)
    # torchvision: conv 11x11/4 pad 2 -> ReLU -> max pool 3/2
    ref = F.conv2d(
        x, sd['features.0.weight'], sd['features.0.bias'], stride=4, padding=2
    )
    ref = F.max_pool2d(F.relu(ref), 3, 2)
    assert stage1.shape == (1, 64, 7, 7)
    torch.testing.assert_close(stage1, ref)


def test_torchvision_checkpoint_from_config(tmp_path):
    sd = torchvision_alexnet_state_dict(seed=3)
    sd = {k: v for k, v in sd.items() if k.startswith('features')}
    path = tmp_path / 'alexnet-synthetic.pth'
    torch.save(sd, path)
    model = MODELS.build(
        dict(
            type='AlexNet',
            widths=TORCHVISION_WIDTHS,
            lrn=None,
            torchvision_checkpoint=str(path),
        )
    )
    model.init_weights()
    assert torch.equal(model.conv2.weight, sd['features.3.weight'])
    assert torch.equal(model.conv4.bias, sd['features.8.bias'])


def test_torchvision_mapping_errors():
    sd = torchvision_alexnet_state_dict()
    del sd['features.6.bias']
    sd['features.12.weight'] = torch.zeros(3)
    with pytest.raises(ValueError) as err:
        alexnet_from_torchvision(sd)
    msg = str(err.value)
    assert 'missing keys: features.6.bias' in msg
    assert 'unexpected keys: features.12.weight' in msg
    # Krizhevsky widths cannot take torchvision's weights
    with pytest.raises(
        ValueError,
        match=r'features\.0\.weight -> conv1\.weight: checkpoint '
        r'\(64, 3, 11, 11\), expected \(96, 3, 11, 11\)',
    ):
        AlexNet().load_torchvision_state_dict(torchvision_alexnet_state_dict())
    with pytest.raises(ValueError, match='AlexNet'):
        AlexNet(torchvision_checkpoint='a.pth', init_cfg=dict(type='Kaiming'))
