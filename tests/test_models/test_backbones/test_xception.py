"""Aligned Xception-65 (DeepLabv3+): shapes, dilations, parameter count and
timm ``xception65`` keys."""

import pytest
import torch
import torch.nn.functional as F
from _checkpoint_toys import RandomCheckpoint, eval_bn

from mmdepthsr.models.backbones import Xception65, xception65_from_timm
from mmdepthsr.models.backbones.torchvision_compat import (
    meta_state_dict_shapes,
)
from mmdepthsr.models.backbones.xception import xception_strides_and_rates
from mmdepthsr.registry import MODELS

#: timm xception65 ``blocks.<i>``: (in channels, 3 sep conv widths, shortcut
#: conv), written out from timm's layout independently of the backbone.
TIMM_BLOCKS = (
    (64, (128, 128, 128), True),
    (128, (256, 256, 256), True),
    (256, (728, 728, 728), True),
    *((728, (728, 728, 728), False),) * 16,
    (728, (728, 1024, 1024), True),
    (1024, (1536, 1536, 2048), False),
)
#: (stride, dilation) of the 21 blocks per output stride (DeepLab's rule).
SCHEDULES = {
    32: [(2, 1)] * 3 + [(1, 1)] * 16 + [(2, 1), (1, 1)],
    16: [(2, 1)] * 3 + [(1, 1)] * 16 + [(1, 1), (1, 2)],
    8: [(2, 1), (2, 1), (1, 1)] + [(1, 2)] * 16 + [(1, 2), (1, 4)],
}


def timm_xception65_state_dict(seed=0, head=True, counters=True):
    """Random tensors under timm's ``xception65`` keys and shapes."""
    ckpt = RandomCheckpoint(seed, counters)
    conv, bn = ckpt.conv, ckpt.bn
    conv('stem.0.conv.weight', 32, 3, 3)
    bn('stem.0.bn', 32)
    conv('stem.1.conv.weight', 64, 32, 3)
    bn('stem.1.bn', 64)
    for i, (cin, widths, shortcut) in enumerate(TIMM_BLOCKS):
        if shortcut:
            conv(f'blocks.{i}.shortcut.conv.weight', widths[-1], cin, 1)
            bn(f'blocks.{i}.shortcut.bn', widths[-1])
        c = cin
        for j, width in enumerate(widths):
            p = f'blocks.{i}.stack.conv{j + 1}'
            conv(f'{p}.conv_dw.weight', c, 1, 3)
            bn(f'{p}.bn_dw', c)
            conv(f'{p}.conv_pw.weight', width, c, 1)
            bn(f'{p}.bn_pw', width)
            c = width
    sd = ckpt.state_dict
    if head:
        sd['head.fc.weight'] = torch.zeros(1000, 2048)
        sd['head.fc.bias'] = torch.zeros(1000)
    return sd


def reference_forward(sd, x, output_stride):
    """Functional eval-mode Xception-65 from a timm-keyed state dict,
    following the DeepLab description (pre-activation blocks, ReLU inside
    exit block 2, low-level tap before block 2's third ReLU)."""

    def bn(x, p):
        return eval_bn(sd, p, x, 1e-3)

    for i in range(2):
        w = sd[f'stem.{i}.conv.weight']
        x = F.relu(bn(F.conv2d(x, w, stride=2 - i, padding=1), f'stem.{i}.bn'))
    low_level = None
    last = len(TIMM_BLOCKS) - 1
    schedule = SCHEDULES[output_stride]
    for i, ((_, _, shortcut), (stride, rate)) in enumerate(
        zip(TIMM_BLOCKS, schedule)
    ):
        y = x
        for j in range(3):
            p = f'blocks.{i}.stack.conv{j + 1}'
            if i != last:
                y = F.relu(y)
            w_dw = sd[f'{p}.conv_dw.weight']
            y = F.conv2d(
                y,
                w_dw,
                stride=stride if j == 2 else 1,
                padding=rate,
                dilation=rate,
                groups=w_dw.shape[0],
            )
            y = bn(y, f'{p}.bn_dw')
            if i == last:
                y = F.relu(y)
            y = bn(F.conv2d(y, sd[f'{p}.conv_pw.weight']), f'{p}.bn_pw')
            if i == last:
                y = F.relu(y)
            if i == 1 and j == 1:
                low_level = y
        if shortcut:
            w = sd[f'blocks.{i}.shortcut.conv.weight']
            y = y + bn(
                F.conv2d(x, w, stride=stride), f'blocks.{i}.shortcut.bn'
            )
        elif i != last:
            y = y + x
        x = y
    return low_level, x


def _block(model, timm_index):
    if timm_index < 3:
        return model.entry_flow[timm_index]
    if timm_index < 19:
        return model.middle_flow[timm_index - 3]
    return model.exit_flow[timm_index - 19]


def _tensor_by_role(model, timm_key):
    """The backbone tensor that plays the role of a timm key, found by
    walking modules (not by renaming strings)."""
    parts = timm_key.split('.')
    name = parts[-1]
    if parts[0] == 'stem':
        layer = model.stem[int(parts[1])]
        module = layer.conv if parts[2] == 'conv' else layer.bn
        return getattr(module, name)
    block = _block(model, int(parts[1]))
    if parts[2] == 'shortcut':
        module = getattr(block.shortcut, parts[3])
        return getattr(module, name)
    sep = block.sep_convs[int(parts[3][-1]) - 1]
    half, kind = parts[4].split('_')
    half = sep.depthwise_conv if kind == 'dw' else sep.pointwise_conv
    module = half.conv if parts[4].startswith('conv') else half.bn
    return getattr(module, name)


@pytest.fixture(scope='module')
def meta_models():
    with torch.device('meta'):
        return {
            os_: Xception65(output_stride=os_).eval() for os_ in (8, 16, 32)
        }


def test_parameter_count(meta_models):
    # reference: 37.87 M (timm xception65 minus its 2048 x 1000 + 1000 fc)
    n = sum(p.numel() for p in meta_models[16].parameters())
    assert n == 37_867_312
    assert abs(n - 37.87e6) / 37.87e6 < 0.005
    n8 = sum(p.numel() for p in meta_models[8].parameters())
    assert n8 == n


@pytest.mark.parametrize(
    'output_stride, size, low_level, final',
    [
        (16, (256, 512), (64, 128), (16, 32)),
        (16, (480, 640), (120, 160), (30, 40)),
        (8, (256, 512), (64, 128), (32, 64)),
        (8, (480, 640), (120, 160), (60, 80)),
        (32, (480, 640), (120, 160), (15, 20)),
        (16, (513, 513), (129, 129), (33, 33)),
    ],
)
def test_output_shapes(meta_models, output_stride, size, low_level, final):
    model = meta_models[output_stride]
    with torch.device('meta'):
        outs = model(torch.empty(1, 3, *size))
    assert type(outs) is tuple and len(outs) == 2
    assert tuple(outs[0].shape) == (1, 256, *low_level)
    assert tuple(outs[1].shape) == (1, 2048, *final)
    assert model.out_channels == (256, 2048)
    assert model.out_strides == (4, output_stride)


@pytest.mark.parametrize('output_stride', [8, 16, 32])
def test_stride_to_dilation_rule(meta_models, output_stride):
    nominal = [2, 2, 2] + [1] * 16 + [2, 1]
    schedule = xception_strides_and_rates(nominal, output_stride)
    assert schedule == SCHEDULES[output_stride]
    model = meta_models[output_stride]
    for i, (stride, rate) in enumerate(schedule):
        block = _block(model, i)
        for j, sep in enumerate(block.sep_convs):
            dw = sep.depthwise_conv.conv
            assert dw.stride == ((stride,) * 2 if j == 2 else (1, 1))
            assert dw.dilation == (rate, rate) and dw.padding == (rate, rate)
            assert sep.pointwise_conv.conv.stride == (1, 1)
        if block.shortcut is not None:
            assert block.shortcut.conv.stride == (stride, stride)


def test_multi_grid_scales_exit_block_2():
    with torch.device('meta'):
        model = Xception65(output_stride=8, multi_grid=(1, 2, 4))
    rates = [
        s.depthwise_conv.conv.dilation for s in model.exit_flow[1].sep_convs
    ]
    assert rates == [(4, 4), (8, 8), (16, 16)]
    assert model.exit_flow[0].sep_convs[0].depthwise_conv.conv.dilation == (
        2,
        2,
    )


def test_activations_and_norms():
    with torch.device('meta'):
        model = Xception65()
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    # 2 stem + 21 blocks x 6 + 4 shortcuts; eps of TF
    assert len(bns) == 132 and all(m.eps == 1e-3 for m in bns)
    assert all(
        m.bias is None
        for m in model.modules()
        if isinstance(m, torch.nn.Conv2d)
    )
    for block in [*model.entry_flow, *model.middle_flow, model.exit_flow[0]]:
        assert block.pre_activation
        assert all(
            not s.depthwise_conv.with_activation for s in block.sep_convs
        )
    exit2 = model.exit_flow[1]
    assert not exit2.pre_activation and exit2.shortcut is None
    assert all(
        s.depthwise_conv.with_activation and s.pointwise_conv.with_activation
        for s in exit2.sep_convs
    )


def test_timm_keys_land_on_their_roles():
    sd = timm_xception65_state_dict(seed=1)
    weights = xception65_from_timm(sd)
    # 132 conv weights + 132 BN x (weight, bias, running_mean, running_var)
    assert len(weights) == 132 * 5
    model = Xception65()
    model.load_timm_state_dict(sd)
    for key, value in sd.items():
        if key.startswith('head.') or key.endswith('num_batches_tracked'):
            continue
        ours = _tensor_by_role(model, key)
        assert ours.shape == value.shape, key
        assert torch.equal(ours, value), key
    # also wrapped and without BN counters
    plain = timm_xception65_state_dict(seed=1, head=False, counters=False)
    assert len(xception65_from_timm(dict(state_dict=plain))) == 660


@pytest.mark.parametrize('output_stride', [16, 8])
def test_timm_weights_reproduce_reference(output_stride):
    sd = timm_xception65_state_dict(seed=2)
    model = Xception65(output_stride=output_stride).eval()
    model.load_timm_state_dict(sd)
    x = torch.randn(1, 3, 48, 64, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        outs = model(x)
        ref = reference_forward(sd, x, output_stride)
    assert tuple(outs[0].shape) == (1, 256, 12, 16)
    for out, expected in zip(outs, ref):
        torch.testing.assert_close(out, expected, rtol=1e-4, atol=1e-4)
    # the tap is not rectified (the low-level feature of TF, not timm's)
    assert (outs[0] < 0).any()


def test_timm_checkpoint_file(tmp_path):
    sd = timm_xception65_state_dict(seed=4)
    path = tmp_path / 'tf_xception_65.pth'
    torch.save(sd, path)
    model = MODELS.build(dict(type='Xception65', timm_checkpoint=str(path)))
    model.init_weights()
    torch.testing.assert_close(
        model.exit_flow[1].sep_convs[2].pointwise_conv.bn.running_var,
        sd['blocks.20.stack.conv3.bn_pw.running_var'],
    )
    torch.testing.assert_close(
        model.middle_flow[15].sep_convs[0].depthwise_conv.conv.weight,
        sd['blocks.18.stack.conv1.conv_dw.weight'],
    )


def test_timm_mismatch_errors():
    sd = timm_xception65_state_dict()
    del sd['blocks.7.stack.conv2.conv_pw.weight']
    sd['blocks.19.shortcut.bn.bias'] = torch.zeros(3)
    sd['blocks.21.stack.conv1.conv_dw.weight'] = torch.zeros(1)
    with pytest.raises(ValueError) as err:
        xception65_from_timm(sd, source='x65.pth')
    msg = str(err.value)
    assert 'x65.pth does not match the timm xception65 layout' in msg
    assert 'missing keys: blocks.7.stack.conv2.conv_pw.weight' in msg
    assert 'unexpected keys: blocks.21.stack.conv1.conv_dw.weight' in msg
    assert 'blocks.19.shortcut.bn.bias -> exit_flow.0.shortcut.bn.bias' in msg
    shapes = meta_state_dict_shapes(Xception65, in_channels=4)
    with pytest.raises(
        ValueError, match=r'stem.0.conv.weight.*\(32, 4, 3, 3\)'
    ):
        xception65_from_timm(timm_xception65_state_dict(), shapes)


def test_frozen_stages_and_norm_eval():
    model = Xception65(frozen_stages=1)
    model.train()
    frozen = [model.stem, model.entry_flow]
    assert all(not p.requires_grad for m in frozen for p in m.parameters())
    assert all(p.requires_grad for p in model.middle_flow.parameters())
    assert not model.entry_flow[2].shortcut.bn.training
    assert model.middle_flow[0].sep_convs[0].pointwise_conv.bn.training
    everything = Xception65(frozen_stages=3).train()
    assert not any(p.requires_grad for p in everything.parameters())
    model = Xception65(norm_eval=True).train()
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert not any(m.training for m in bns)
    assert all(p.requires_grad for p in model.parameters())


def test_norm_cfg():
    with torch.device('meta'):
        model = Xception65(norm_cfg=dict(type='BN', eps=1e-5, momentum=3e-4))
    bn = model.middle_flow[3].sep_convs[1].depthwise_conv.bn
    assert (bn.eps, bn.momentum) == (1e-5, 3e-4)


@pytest.mark.parametrize(
    'kwargs, match',
    [
        (dict(output_stride=4), 'output_stride'),
        (dict(frozen_stages=4), 'frozen_stages'),
        (dict(multi_grid=(1, 2)), 'multi_grid'),
        (dict(norm_cfg='BN'), 'norm_cfg'),
        (
            dict(timm_checkpoint='a.pth', init_cfg=dict(type='Pretrained')),
            'timm_checkpoint',
        ),
    ],
)
def test_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Xception65(**kwargs)


def test_input_check():
    with torch.device('meta'):
        model = Xception65()
        with pytest.raises(ValueError, match=r'\(N, 3, H, W\)'):
            model(torch.empty(1, 1, 32, 32))
