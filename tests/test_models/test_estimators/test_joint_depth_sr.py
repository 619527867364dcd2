"""JointDepthSR (v2 / v3): multi-scale shapes, deep-supervision losses by
value, gradients, interaction units, semantic branch, tiled inference with
dict outputs."""

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.structures import PixelData

from mmdepthsr.models.utils import downsample_depth_gt, slide_inference
from mmdepthsr.registry import MODELS
from mmdepthsr.structures import DenseDataSample

SCALES = (16, 8, 4, 2, 1)


@MODELS.register_module(name='_JointTestUnit', force=True)
class _JointTestUnit(nn.Module):
    """Test-only interaction unit: ``x + conv1x1(resized guide)``."""

    def __init__(self, channels, guide_channels):
        super().__init__()
        self.proj = nn.Conv2d(guide_channels, channels, 1)
        nn.init.normal_(self.proj.weight, std=0.5)

    def forward(self, x, guide):
        guide = F.interpolate(guide, size=x.shape[-2:], mode='bilinear')
        return x + self.proj(guide)


UNIT = dict(type='_JointTestUnit')


def _cfg(**kwargs):
    cfg = dict(
        type='JointDepthSR',
        scale_factor=4,
        colour_encoder=dict(
            type='LightConvEncoder', in_channels=3, channels=(4, 4, 8, 8)
        ),
        depth_encoder=dict(
            type='LightConvEncoder', in_channels=1, channels=(4, 4, 8, 8)
        ),
        fuse_channels=(4, 4, 8, 8),
        decoder_channels=(8, 8, 4, 4, 4),
    )
    cfg.update(kwargs)
    return cfg


def _build(seed=0, **kwargs):
    torch.manual_seed(seed)
    return MODELS.build(_cfg(**kwargs))


def _batch(n=2, size=(32, 48), s=4, seed=0, num_classes=3, norm_max=4.0):
    """Images, samples with LR depth normalised by ``norm_max`` (max of
    each LR map exactly 1), metric GT with a few holes and labels."""
    gen = torch.Generator().manual_seed(seed)
    h, w = size
    img = torch.rand(n, 3, h, w, generator=gen)
    samples = []
    for _ in range(n):
        lr = 0.3 + 0.6 * torch.rand(1, h // s, w // s, generator=gen)
        lr[0, 0, 0] = 1.0
        gt = norm_max * (0.3 + 0.7 * torch.rand(1, h, w, generator=gen))
        gt[0, :3, :5] = 0.0
        seg = torch.randint(0, num_classes, (1, h, w), generator=gen)
        seg[0, -2:] = 255
        sample = DenseDataSample(
            metainfo=dict(
                img_shape=(h, w),
                ori_shape=(h, w),
                scale_factor=s,
                depth_norm_max=norm_max,
            )
        )
        sample.lr_depth = PixelData(data=lr)
        sample.gt_depth = PixelData(data=gt)
        sample.gt_sem_seg = PixelData(data=seg)
        samples.append(sample)
    return img, samples


def test_v2_shapes_at_every_resolution():
    model = _build().eval()
    img, samples = _batch()
    lr = model.extract_lr_depth(img, samples)
    outs = model.forward_tasks(img, lr)
    assert sorted(outs) == ['depth', 'sr']
    for task in ('sr', 'depth'):
        assert [tuple(p.shape) for p in outs[task]] == [
            (2, 1, 32 // k, 48 // k) for k in SCALES
        ]
    assert not model.is_v3
    assert 'seg' not in model.heads


def test_v2_loss_keys_and_values():
    model = _build(sr_loss_weights=(0.0, 0.25, 0.5, 0.5, 2.0)).eval()
    img, samples = _batch()
    losses = model.loss(img, samples)
    # the 1/16 SR loss has weight 0: left out
    assert sorted(losses) == sorted(
        [f'loss_sr_s{k}' for k in SCALES[1:]]
        + [f'loss_depth_s{k}' for k in SCALES]
    )
    # values: de-normalised (x 4 m) prediction vs the masked-mean GT
    lr = model.extract_lr_depth(img, samples)
    outs = model.forward_tasks(img, lr)
    gt = torch.stack([s.gt_depth.data for s in samples])
    for k, scale in enumerate(SCALES):
        target = downsample_depth_gt(gt, scale)
        valid = target > 0
        for task, weights in (
            ('sr', model.heads['sr'].loss_weights),
            ('depth', model.heads['depth'].loss_weights),
        ):
            if weights[k] == 0:
                continue
            pred = 4.0 * outs[task][k]
            expected = weights[k] * (pred - target).abs()[valid].mean()
            torch.testing.assert_close(
                losses[f'loss_{task}_s{scale}'], expected
            )


def _randomise_sr_heads(model):
    """Non-zero SR heads (they start at zero with sr_residual=True), so
    that the SR output depends on the decoder features."""
    gen = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for head in model.heads['sr'].pred_convs:
            head.weight.copy_(torch.randn(head.weight.shape, generator=gen))
            head.bias.copy_(torch.randn(head.bias.shape, generator=gen))
    return model


def test_sr_residual_over_bicubic():
    """The residual SR heads start at zero: the untrained SR output is the
    bicubic upsampling (full size) and its block means (coarser scales)."""
    model = _build().eval()
    for head in model.heads['sr'].pred_convs:
        assert not head.weight.any() and not head.bias.any()
    img, samples = _batch()
    lr = model.extract_lr_depth(img, samples)
    outs = model.forward_tasks(img, lr)
    up = F.interpolate(lr, size=(32, 48), mode='bicubic', align_corners=False)
    torch.testing.assert_close(outs['sr'][-1], up)
    torch.testing.assert_close(outs['sr'][2], F.avg_pool2d(up, 4))
    model = _build(sr_residual=False).eval()
    for head in model.heads['sr'].pred_convs:
        nn.init.zeros_(head.weight)
        nn.init.zeros_(head.bias)
    outs = model.forward_tasks(img, lr)
    assert outs['sr'][-1].abs().max() == 0


@pytest.mark.slow
def test_gradients_reach_both_encoders():
    model = _randomise_sr_heads(_build(sr_fusion=UNIT))
    img, samples = _batch()
    losses = model.loss(img, samples)
    sum(losses.values()).backward()
    for enc in (model.backbone, model.lr_encoder):
        first = enc.stages[0][0][0].weight.grad
        assert first is not None and first.abs().sum() > 0
    # the SR loss alone reaches the MDE decoder through the fusion unit
    model.zero_grad()
    sum(v for k, v in model.loss(img, samples).items() if 'sr' in k).backward()
    grad = model.decoders['depth'].stages[0][0][0].weight.grad
    assert grad is not None and grad.abs().sum() > 0


@pytest.mark.slow
def test_v2_sr_loss_does_not_reach_mde_decoder():
    model = _build()
    img, samples = _batch()
    losses = model.loss(img, samples)
    sum(v for k, v in losses.items() if 'sr' in k).backward()
    grad = model.decoders['depth'].stages[0][0][0].weight.grad
    assert grad is None or grad.abs().sum() == 0


def test_v3_units_change_the_sr_output():
    v2 = _randomise_sr_heads(_build()).eval()
    v3 = _build(sr_fusion=UNIT).eval()
    missing, unexpected = v3.load_state_dict(v2.state_dict(), strict=False)
    assert not unexpected
    assert missing and all(
        k.startswith('interactions.sr_fusion.') for k in missing
    )
    assert v3.is_v3 and set(v3.interactions['sr_fusion']) == {
        f's{k}' for k in SCALES
    }
    img, samples = _batch()
    lr = v2.extract_lr_depth(img, samples)
    out2, out3 = v2.forward_test(img, lr), v3.forward_test(img, lr)
    assert (out2['sr'] - out3['sr']).abs().max() > 1e-3
    # no reverse unit: the MDE branch is untouched
    torch.testing.assert_close(out2['depth'], out3['depth'])
    # reverse unit on: the MDE output changes too
    v3b = _build(sr_fusion=UNIT, depth_fusion=UNIT).eval()
    v3b.load_state_dict(v3.state_dict(), strict=False)
    out3b = v3b.forward_test(img, lr)
    assert (out3b['depth'] - out2['depth']).abs().max() > 1e-3


def test_v3_units_only_at_selected_stages():
    model = _build(sr_fusion=UNIT, fusion_stages=(1, 3))
    assert sorted(model.interactions['sr_fusion']) == ['s2', 's8']
    assert model.interactions['sr_fusion']['s8'].proj.in_channels == 8
    assert model.interactions['sr_fusion']['s2'].proj.in_channels == 4
    with pytest.raises(ValueError, match='fusion_stages'):
        _build(sr_fusion=UNIT, fusion_stages=(5,))


def test_mde_colour_only_ignores_lr_depth():
    model = _build(mde_input='colour').eval()
    img, samples = _batch()
    lr = model.extract_lr_depth(img, samples)
    a = model.forward_test(img, lr)
    b = model.forward_test(img, 0.5 * lr)
    torch.testing.assert_close(a['depth'], b['depth'])
    assert (a['sr'] - b['sr']).abs().max() > 1e-3


@pytest.mark.slow
@pytest.mark.parametrize('semantic', [False, True])
def test_semantic_branch_on_off(semantic):
    kwargs = dict(sr_fusion=UNIT)
    if semantic:
        kwargs.update(
            num_classes=3,
            sem_to_depth=UNIT,
            depth_to_sem=UNIT,
            seg_loss_weights=(0.0, 0.0, 0.0, 0.5, 1.0),
        )
    model = _build(**kwargs)
    img, samples = _batch()
    losses = model.loss(img, samples)
    seg_keys = sorted(k for k in losses if k.startswith('loss_seg'))
    assert seg_keys == (['loss_seg_s1', 'loss_seg_s2'] if semantic else [])
    assert len(losses) == 10 + len(seg_keys)
    if semantic:
        losses['loss_seg_s1'].backward()
        grad = model.lr_encoder.stages[0][0][0].weight.grad
        assert grad is not None and grad.abs().sum() > 0
    model.eval()
    with torch.no_grad():
        out = model.predict(img, samples)
    for sample in out:
        assert sample.pred_sr_depth.shape == (32, 48)
        assert sample.pred_depth.shape == (32, 48)
        assert ('pred_sem_seg' in sample) == semantic
        if semantic:
            assert sample.seg_logits.data.shape == (3, 32, 48)
            assert sample.pred_sem_seg.data.dtype == torch.long
            torch.testing.assert_close(
                sample.pred_sem_seg.data,
                sample.seg_logits.data.argmax(0, keepdim=True),
            )


def test_semantic_units_need_num_classes():
    with pytest.raises(ValueError, match='JointDepthSR.*num_classes'):
        _build(sem_to_depth=UNIT)
    with pytest.raises(ValueError, match='mde_input'):
        _build(mde_input='rgb')
    with pytest.raises(ValueError, match='sr_loss_weights'):
        _build(sr_loss_weights=(1.0, 1.0))


def test_input_size_must_be_divisible_by_16():
    model = _build().eval()
    img, samples = _batch(size=(24, 48))
    with pytest.raises(ValueError, match='JointDepthSR.*divisible by 16'):
        model.predict(img, samples)


def test_predict_whole_denormalises_both_outputs():
    model = _build().eval()
    img, samples = _batch()
    lr = model.extract_lr_depth(img, samples)
    with torch.no_grad():
        raw = model._forward(img, samples)
        out = model.predict(img, samples)
    assert sorted(raw) == ['depth', 'sr']
    for i, sample in enumerate(out):
        torch.testing.assert_close(
            sample.pred_sr_depth.data, 4.0 * raw['sr'][i]
        )
        torch.testing.assert_close(
            sample.pred_depth.data, 4.0 * raw['depth'][i]
        )
    torch.testing.assert_close(model.forward_sr(img, lr), raw['sr'])


@pytest.mark.slow
def test_predict_single_tile_slide_equals_whole():
    """One tile covering the image with normalize='max': the tile's LR
    maximum is the recorded depth_norm_max (LR maps have max 1), so the
    tiled and whole-image predictions agree."""
    img, samples = _batch(num_classes=3)
    kw = dict(num_classes=3, sr_fusion=UNIT, depth_to_sem=UNIT)
    whole = _build(**kw).eval()
    slide = _build(
        **kw, test_cfg=dict(mode='slide', patch_size=(32, 48), normalize='max')
    ).eval()
    slide.load_state_dict(whole.state_dict())
    with torch.no_grad():
        a = whole.inference(img, samples)
        b = slide.inference(img, samples)
    assert sorted(a) == ['depth', 'seg', 'sr']
    for key in a:
        torch.testing.assert_close(a[key], b[key], atol=1e-5, rtol=1e-5)


def test_predict_multi_tile_slide_shapes():
    img, samples = _batch(num_classes=3)
    model = _build(
        num_classes=3,
        test_cfg=dict(mode='slide', patch_size=(32, 32), stride=(16, 16)),
    ).eval()
    with torch.no_grad():
        out = model.predict(img, samples)
    for sample in out:
        assert sample.pred_sr_depth.shape == (32, 48)
        assert sample.pred_depth.shape == (32, 48)
        assert sample.seg_logits.shape == (32, 48)
        assert torch.isfinite(sample.pred_sr_depth.data).all()


# --- slide_inference with dict outputs (style of test_tiling.py) ---------

RADIUS = 2  # two 3x3 convolutions


class _ToyDictFCN(nn.Module):
    """Fully convolutional, receptive-field radius 2; ``'sr'`` and
    ``'depth'`` are positively homogeneous in the LR depth, ``'logits'``
    depends on the image only (so de-normalising it would be wrong)."""

    def __init__(self, s):
        super().__init__()
        torch.manual_seed(0)
        self.s = s
        self.conv1 = nn.Conv2d(2, 6, 3, padding=1, bias=False)
        self.conv2 = nn.Conv2d(6, 2, 3, padding=1, bias=False)
        self.seg1 = nn.Conv2d(3, 4, 3, padding=1)
        self.seg2 = nn.Conv2d(4, 3, 3, padding=1)

    def forward(self, img, lr):
        up = F.interpolate(lr, scale_factor=self.s, mode='nearest')
        x = torch.cat([up, up * img[:, :1]], dim=1)
        y = self.conv2(torch.relu(self.conv1(x)))
        logits = self.seg2(torch.relu(self.seg1(img)))
        return dict(sr=y[:, :1], depth=y[:, 1:], logits=logits)


@pytest.mark.parametrize('normalize', [None, 'max'])
@pytest.mark.parametrize('blend', ['mean', 'linear'])
def test_slide_inference_dict_equals_whole(normalize, blend):
    s = 4
    gen = torch.Generator().manual_seed(1)
    img = torch.rand(2, 3, 44, 52, generator=gen)
    lr = 0.5 + 4.5 * torch.rand(2, 1, 11, 13, generator=gen)
    net = _ToyDictFCN(s)
    with torch.no_grad():
        whole = net(img, lr)
        tiled = slide_inference(
            net,
            img,
            lr,
            patch_size=(20, 24),
            stride=(12, 16),
            scale_factor=s,
            normalize=normalize,
            blend=blend,
            margin=RADIUS + 2,
            raw_keys=('logits',),
        )
    assert sorted(tiled) == ['depth', 'logits', 'sr']
    for key in whole:
        assert tiled[key].shape == whole[key].shape
        torch.testing.assert_close(tiled[key], whole[key], atol=1e-5, rtol=0)


def test_slide_inference_dict_raw_keys_matter():
    """Without ``raw_keys`` the logits would be de-normalised per tile."""
    s = 4
    img = torch.rand(1, 3, 32, 32)
    lr = 2.0 + torch.rand(1, 1, 8, 8)
    net = _ToyDictFCN(s)
    with torch.no_grad():
        whole = net(img, lr)
        tiled = slide_inference(
            net, img, lr, patch_size=16, scale_factor=s, normalize='max'
        )
    assert (tiled['logits'] - whole['logits']).abs().max() > 1e-2


def test_slide_inference_dict_errors():
    img, lr = torch.rand(1, 3, 16, 16), torch.rand(1, 1, 4, 4)
    with pytest.raises(ValueError, match="output 'b'"):
        slide_inference(
            lambda i, _: dict(a=i[:, :1], b=i[:, :1, :4]),
            img,
            lr,
            patch_size=8,
            scale_factor=4,
        )
    with pytest.raises(ValueError, match='empty dict'):
        slide_inference(lambda i, _: {}, img, lr, patch_size=8, scale_factor=4)
