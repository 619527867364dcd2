"""PMBANet (Sunbaoli/PMBANet_DSR): parameter counts from the layer list,
sizes, errors, gradients, units and tiled inference."""

from functools import partial

import pytest
import torch
import torch.nn as nn
from mmengine.structures import PixelData

from mmdepthsr.models.estimators.pmbanet import PMBANet
from mmdepthsr.registry import MODELS
from mmdepthsr.structures import DenseDataSample

# close to the recorded legacy outputs: the fixtures were written with
# another thread count, whose summation order changes the last bits, and
# the deep PMBANet stages amplify that to about 1e-5
_close = partial(torch.testing.assert_close, rtol=1e-4, atol=1e-4)

SMALL = dict(mid_channels=8, shallow_channels=16)


def _conv(cin: int, cout: int, k: int) -> int:
    """Weights + bias of a (transposed) k x k conv and one PReLU slope."""
    return cin * cout * k * k + cout + 1


def expected_params(
    s: int, guided: bool, c: int = 64, f: int = 256, t: int = 4
) -> int:
    """Parameters of the used path of the release, from its layer list."""
    k = {2: 6, 4: 8, 8: 12, 16: 20}[s]
    stages = 2 if s == 16 else 3
    total = _conv(1, f, 3) + _conv(f, c, 1)  # depth stem
    if guided:
        total += _conv(3, f, 3) + _conv(f, c, 3) + _conv(c, c, 1)
    up_projection = 3 * _conv(c, c, k)
    attention = _conv(c, c, 8)  # deconv k8 s4 p2
    r = c // 16
    channel_attention = c * r + r + r * c + c  # two fc layers
    for i in range(stages):
        cin = c * (i + 1)
        multi_scale = sum(_conv(cin + j * c, c, 3) for j in range(4))
        multi_scale += _conv(cin + 4 * c, c, 3) + _conv(c, c, k)
        af = _conv(cin, c, 1) + attention + up_projection
        af += (t - 1) * (
            _conv(c, c, k) + _conv(c, c, 1) + attention + up_projection
        )
        total += multi_scale + af + _conv(t * c, c, 3) + channel_attention
    total += (stages - 1) * _conv(c, c, k)  # down-projections
    return total + c * 9 + 1  # output conv, no PReLU


def _count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(
    'scale, guided, number',
    [
        (2, True, 13_420_334),
        (2, False, 13_261_483),
        (4, True, 19_154_734),
        (4, False, 18_995_883),
        (8, True, 35_538_734),
        (8, False, 35_379_883),
        (16, True, 57_969_931),
        (16, False, 57_811_080),
    ],
)
def test_parameter_counts_of_the_release(scale, guided, number):
    model = PMBANet(scale_factor=scale, guided=guided)
    assert expected_params(scale, guided) == number
    assert _count(model) == number
    assert model.decoder.num_stages == (2 if scale == 16 else 3)
    assert (model.decoder.color_stem is not None) == guided


def test_unsupported_scale_factor():
    with pytest.raises(ValueError, match='scale_factor must be one of'):
        PMBANet(scale_factor=32)


@pytest.mark.parametrize('scale', [2, 4, 8, 16])
@pytest.mark.parametrize('guided', [True, False])
def test_output_size(scale, guided):
    model = PMBANet(scale_factor=scale, guided=guided, **SMALL)
    lr = torch.rand(2, 1, 4, 8)
    img = torch.rand(2, 3, 4 * scale, 8 * scale)
    with torch.no_grad():
        out = model.forward_sr(img, lr)
    assert out.shape == (2, 1, 4 * scale, 8 * scale)


def test_stage_channels():
    model = PMBANet(scale_factor=2, num_stages=4, num_af_blocks=2, **SMALL)
    assert [
        s.af_blocks[0].reduce[0].in_channels for s in model.decoder.stages
    ] == [
        8,
        16,
        24,
        32,
    ]
    assert len(model.decoder.downs) == 3


def test_input_errors():
    model = PMBANet(scale_factor=2, **SMALL)
    with pytest.raises(ValueError, match='PMBANet: the LR depth size'):
        model.forward_sr(torch.rand(1, 3, 12, 16), torch.rand(1, 1, 6, 8))
    with pytest.raises(ValueError, match='PMBANet: image size'):
        model.forward_sr(torch.rand(1, 3, 16, 16), torch.rand(1, 1, 4, 4))
    with pytest.raises(ValueError, match='PMBANet: lr_depth must be'):
        model.forward_sr(torch.rand(1, 3, 8, 8), torch.rand(1, 2, 4, 4))
    with pytest.raises(ValueError, match='color_stages'):
        PMBANet(scale_factor=2, color_stages=(3,), **SMALL)


def test_gradients_reach_every_parameter():
    torch.manual_seed(0)
    model = PMBANet(scale_factor=4, **SMALL)
    model.init_weights()
    img = torch.rand(1, 3, 16, 16, requires_grad=True)
    out = model.forward_sr(img, torch.rand(1, 1, 4, 4))
    out.abs().mean().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name
    assert model.decoder.color_stem[0][0].weight.grad.abs().sum() > 0
    assert model.decoder.depth_stem[0][0].weight.grad.abs().sum() > 0
    assert img.grad.abs().sum() > 0

    depth_only = PMBANet(scale_factor=4, guided=False, **SMALL)
    img = torch.rand(1, 3, 16, 16, requires_grad=True)
    depth_only.forward_sr(img, torch.rand(1, 1, 4, 4)).sum().backward()
    assert img.grad is None  # the image only fixes the size


def test_color_only_in_the_chosen_stages():
    torch.manual_seed(0)
    model = PMBANet(scale_factor=2, color_stages=(1,), **SMALL)
    seen = []
    for i, stage in enumerate(model.decoder.stages):
        stage.register_forward_hook(
            lambda m, args, out, i=i: seen.append((i, args[1] is not None))
        )
    with torch.no_grad():
        model.forward_sr(torch.rand(1, 3, 8, 8), torch.rand(1, 1, 4, 4))
    assert seen == [(0, False), (1, True), (2, False)]


def test_default_init_is_kaiming_normal_with_zero_bias():
    torch.manual_seed(0)
    model = PMBANet(scale_factor=2)
    model.init_weights()
    conv = model.decoder.stages[0].multi_scale.fuse[0]  # 320 * 9 inputs
    assert conv.bias.abs().max() == 0
    std = (2.0 / (320 * 9)) ** 0.5
    assert conv.weight.std().item() == pytest.approx(std, rel=0.05)
    assert model.decoder.stages[0].multi_scale.fuse[1].weight.item() == 0.25


def _sample(lr, gt=None, **meta):
    sample = DenseDataSample(metainfo=meta)
    sample.lr_depth = PixelData(data=lr)
    if gt is not None:
        sample.gt_depth = PixelData(data=gt)
    return sample


def test_loss_is_l1_of_the_denormalised_output():
    torch.manual_seed(0)
    model = PMBANet(scale_factor=2, **SMALL)
    img = torch.rand(1, 3, 8, 8)
    lr = torch.rand(1, 4, 4)
    gt = 1.0 + torch.rand(1, 8, 8)
    sample = _sample(lr, gt, img_shape=(8, 8), depth_norm_max=5.0)
    loss = model.loss(img, [sample])['loss_sr']
    ref = (model.forward_sr(img, lr[None]) * 5.0 - gt[None]).abs().mean()
    torch.testing.assert_close(loss, ref)
    loss.backward()
    assert model.head.pred_convs[0].weight.grad.abs().sum() > 0


def test_slide_inference_normalises_each_tile():
    torch.manual_seed(0)
    model = PMBANet(
        scale_factor=2,
        test_cfg=dict(mode='slide', patch_size=(8, 8), normalize='max'),
        **SMALL,
    )
    img = torch.rand(1, 3, 8, 16)
    lr = 1.0 + 3.0 * torch.rand(1, 4, 8)  # metres
    sample = _sample(lr, torch.rand(1, 8, 16), img_shape=(8, 16))
    with torch.no_grad():
        (out,) = model.predict(img, [sample])
        tiles = []
        for j in (0, 4):
            tile = lr[None, :, :, j : j + 4]
            peak = tile.amax()
            tiles.append(
                model.forward_sr(img[..., 2 * j : 2 * j + 8], tile / peak)
                * peak
            )
    expected = torch.cat(tiles, dim=-1)[0]
    torch.testing.assert_close(out.pred_sr_depth.data, expected)


def test_build_from_registry():
    model = MODELS.build(dict(type='PMBANet', scale_factor=8, **SMALL))
    assert isinstance(model, PMBANet)
    assert model.decoder.lr_divisor == 4


def test_default_init_of_the_output_conv():
    torch.manual_seed(0)
    model = PMBANet(scale_factor=2)
    model.init_weights()
    conv = model.head.pred_convs[0]  # conv3x3(64 -> 1), 576 inputs
    assert conv.bias.abs().max() == 0
    # Kaiming-normal std sqrt(2 / 576) = 0.059; PyTorch's default would
    # give 1 / sqrt(3 * 576) = 0.024
    assert conv.weight.std().item() == pytest.approx(0.059, rel=0.25)


def test_checkpoint_of_the_self_contained_layout_loads_and_matches(
    replay_legacy,
):
    """The state dict of PMBANet before it composed a decoder and a head
    (``out_conv``, ``stages``, ... at the top) loads strictly and gives the
    recorded output, loss and prediction exactly."""
    model = MODELS.build(
        dict(
            type='PMBANet',
            scale_factor=2,
            mid_channels=8,
            shallow_channels=16,
            num_af_blocks=2,
            data_preprocessor=dict(
                type='DenseDataPreprocessor', mean=[0.0] * 3, std=[255.0] * 3
            ),
        )
    )
    ref, tensor, losses, preds = replay_legacy(model, 'pmbanet_tiny.pth')
    _close(tensor, ref['tensor'])
    assert list(losses) == ['loss_sr'] == list(ref['losses'])
    _close(losses['loss_sr'], ref['losses']['loss_sr'])
    _close(preds['pred_sr_depth'], ref['preds']['pred_sr_depth'])
    assert torch.equal(
        model.head.pred_convs[0].weight, ref['state_dict']['out_conv.weight']
    )
