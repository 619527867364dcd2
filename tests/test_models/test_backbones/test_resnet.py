"""Bottleneck ResNet-50 (Caffe / PyTorch style) and torchvision keys."""

import pytest
import torch
import torch.nn.functional as F
from _checkpoint_toys import RandomCheckpoint, eval_bn

from mmdepthsr.models.backbones import (
    ResNet,
    ResNet50,
    resnet50_from_torchvision,
)
from mmdepthsr.registry import MODELS

BLOCKS = (3, 4, 6, 3)
WIDTHS = (64, 128, 256, 512)


def torchvision_resnet50_state_dict(seed=0, fc=True, counters=True):
    """Random tensors under torchvision's exact resnet50 keys and shapes
    (written out independently of the backbone)."""
    ckpt = RandomCheckpoint(seed, counters)
    conv, bn = ckpt.conv, ckpt.bn
    conv('conv1.weight', 64, 3, 7)
    bn('bn1', 64)
    cin = 64
    for s, (n, w) in enumerate(zip(BLOCKS, WIDTHS)):
        for b in range(n):
            p = f'layer{s + 1}.{b}'
            conv(f'{p}.conv1.weight', w, cin, 1)
            bn(f'{p}.bn1', w)
            conv(f'{p}.conv2.weight', w, w, 3)
            bn(f'{p}.bn2', w)
            conv(f'{p}.conv3.weight', 4 * w, w, 1)
            bn(f'{p}.bn3', 4 * w)
            if b == 0:
                conv(f'{p}.downsample.0.weight', 4 * w, cin, 1)
                bn(f'{p}.downsample.1', 4 * w)
            cin = 4 * w
    sd = ckpt.state_dict
    if fc:
        sd['fc.weight'] = torch.zeros(1000, 2048)
        sd['fc.bias'] = torch.zeros(1000)
    return sd


def reference_forward(sd, x, caffe=False):
    """Functional eval-mode ResNet-50 straight from the state dict."""

    def bn(x, p):
        return eval_bn(sd, p, x, 1e-5)

    x = F.relu(bn(F.conv2d(x, sd['conv1.weight'], stride=2, padding=3), 'bn1'))
    x = F.max_pool2d(x, 3, 2, 1)
    outs = []
    for s, n in enumerate(BLOCKS):
        for b in range(n):
            p = f'layer{s + 1}.{b}'
            stride = 2 if s > 0 and b == 0 else 1
            s1, s2 = (stride, 1) if caffe else (1, stride)
            y = F.relu(
                bn(F.conv2d(x, sd[f'{p}.conv1.weight'], stride=s1), f'{p}.bn1')
            )
            y = F.relu(
                bn(
                    F.conv2d(y, sd[f'{p}.conv2.weight'], stride=s2, padding=1),
                    f'{p}.bn2',
                )
            )
            y = bn(F.conv2d(y, sd[f'{p}.conv3.weight']), f'{p}.bn3')
            if b == 0:
                x = bn(
                    F.conv2d(x, sd[f'{p}.downsample.0.weight'], stride=stride),
                    f'{p}.downsample.1',
                )
            x = F.relu(x + y)
        outs.append(x)
    return outs


def _n_params(model):
    return sum(p.numel() for p in model.parameters())


def test_parameter_count():
    # torchvision resnet50: 25,557,032 with fc (2048 * 1000 + 1000)
    assert _n_params(ResNet(style='caffe')) == 23_508_032
    assert _n_params(ResNet(style='pytorch')) == 23_508_032
    assert _n_params(ResNet50()) == 23_508_032
    assert 25_557_032 - 2048 * 1000 - 1000 == 23_508_032


@pytest.mark.slow
@pytest.mark.parametrize('style', ['caffe', 'pytorch'])
def test_output_shapes(style):
    model = MODELS.build(dict(type='ResNet', depth=50, style=style))
    outs = model(torch.randn(1, 3, 64, 96))
    assert [tuple(o.shape) for o in outs] == [
        (1, 256, 16, 24),
        (1, 512, 8, 12),
        (1, 1024, 4, 6),
        (1, 2048, 2, 3),
    ]
    assert model.out_channels == (256, 512, 1024, 2048)
    one = ResNet(style=style, out_indices=(1,))(torch.randn(1, 3, 64, 96))
    assert len(one) == 1 and tuple(one[0].shape) == (1, 512, 8, 12)


def test_stride_placement():
    caffe, torch_style = ResNet(style='caffe'), ResNet(style='pytorch')
    for stage in (2, 3, 4):
        cb = getattr(caffe, f'layer{stage}')[0]
        pb = getattr(torch_style, f'layer{stage}')[0]
        assert cb.conv1.stride == (2, 2) and cb.conv2.stride == (1, 1)
        assert pb.conv1.stride == (1, 1) and pb.conv2.stride == (2, 2)
        assert cb.downsample[0].stride == (2, 2)
    assert caffe.layer1[0].conv1.stride == (1, 1)


def test_torchvision_key_mapping():
    sd = torchvision_resnet50_state_dict()
    weights = resnet50_from_torchvision(sd)
    # 53 convs + 53 BN x (weight, bias, running_mean, running_var)
    assert len(weights) == 53 + 53 * 4
    assert not any(k.startswith('fc.') for k in weights)
    assert not any(k.endswith('num_batches_tracked') for k in weights)
    assert (
        weights['layer1.0.downsample.0.weight']
        is sd['layer1.0.downsample.0.weight']
    )
    # also without the counters (older torchvision files) and wrapped
    sd_old = torchvision_resnet50_state_dict(counters=False)
    assert len(resnet50_from_torchvision(dict(state_dict=sd_old))) == 265


@pytest.mark.slow
@pytest.mark.parametrize('style', ['pytorch', 'caffe'])
def test_torchvision_weights_reproduce_reference(style):
    sd = torchvision_resnet50_state_dict(seed=1)
    model = ResNet(style=style).eval()
    model.load_torchvision_state_dict(sd)
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        outs = model(x)
        ref = reference_forward(sd, x, caffe=style == 'caffe')
        other = reference_forward(sd, x, caffe=style != 'caffe')
    for o, r in zip(outs, ref):
        torch.testing.assert_close(o, r, rtol=1e-4, atol=1e-4)
    # same weights, other stride placement: same shapes, other values
    assert outs[-1].shape == other[-1].shape
    assert not torch.allclose(outs[-1], other[-1], atol=1e-3)


def test_torchvision_checkpoint_file(tmp_path):
    sd = torchvision_resnet50_state_dict(seed=3)
    path = tmp_path / 'resnet50.pth'
    torch.save(sd, path)
    model = ResNet(style='caffe', torchvision_checkpoint=str(path))
    model.init_weights()
    torch.testing.assert_close(
        model.layer4[2].bn3.running_var, sd['layer4.2.bn3.running_var']
    )
    torch.testing.assert_close(model.conv1.weight, sd['conv1.weight'])


def test_torchvision_mismatch_errors():
    sd = torchvision_resnet50_state_dict()
    del sd['layer3.5.conv2.weight']
    sd['layer2.0.bn1.weight'] = torch.zeros(3)
    sd['extra.weight'] = torch.zeros(1)
    with pytest.raises(ValueError) as err:
        resnet50_from_torchvision(sd)
    msg = str(err.value)
    assert 'layer3.5.conv2.weight' in msg
    assert 'layer2.0.bn1.weight' in msg
    assert 'extra.weight' in msg
    with pytest.raises(ValueError, match='in_channels|conv1.weight'):
        ResNet(in_channels=4).load_torchvision_state_dict(
            torchvision_resnet50_state_dict()
        )


def test_frozen_stages_and_norm_eval():
    model = ResNet(frozen_stages=1)
    model.train()
    assert not model.conv1.weight.requires_grad
    assert not any(p.requires_grad for p in model.layer1.parameters())
    assert all(p.requires_grad for p in model.layer2.parameters())
    assert not model.bn1.training and not model.layer1[0].bn1.training
    assert model.layer2[0].bn1.training
    model = ResNet(norm_eval=True).train()
    assert not model.layer3[1].bn2.training
    assert model.layer3[1].conv2.weight.requires_grad


@pytest.mark.slow
def test_gradients_reach_the_stem():
    model = ResNet(style='caffe', out_indices=(3,))
    model.init_weights()
    model(torch.randn(2, 3, 64, 64))[0].mean().backward()
    assert model.conv1.weight.grad.abs().sum() > 0


def test_bad_arguments():
    with pytest.raises(ValueError, match='ResNet.*style'):
        ResNet(style='msra')
    with pytest.raises(ValueError, match='ResNet.*depth'):
        ResNet(depth=34)
    with pytest.raises(ValueError, match='out_indices'):
        ResNet(out_indices=(4,))
    with pytest.raises(ValueError, match='expected an \\(N, 3'):
        ResNet()(torch.randn(1, 1, 32, 32))
