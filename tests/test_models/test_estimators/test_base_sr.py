"""BaseGuidedSREstimator bookkeeping and the BicubicBaseline, by values."""

import math
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.structures import PixelData
from PIL import Image

from mmdepthsr.models.estimators.base_sr import (
    BaseGuidedSREstimator,
    BicubicBaseline,
)
from mmdepthsr.registry import MODELS
from mmdepthsr.structures import DenseDataSample

CONFIGS = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))),
    'configs',
    'bicubic',
)


class NearestSR(BaseGuidedSREstimator):
    """``gain * nearest_upsample(lr)``: one parameter, easy to hand-check."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.gain = nn.Parameter(torch.ones(()))

    def forward_sr(self, img, lr_depth):
        up = F.interpolate(lr_depth, scale_factor=self.scale_factor)
        return self.gain * up


class ConvSR(BaseGuidedSREstimator):
    """Two bias-free 3x3 convs (receptive radius 2), homogeneous in depth."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        torch.manual_seed(0)
        self.conv1 = nn.Conv2d(2, 6, 3, padding=1, bias=False)
        self.conv2 = nn.Conv2d(6, 1, 3, padding=1, bias=False)

    def forward_sr(self, img, lr_depth):
        up = F.interpolate(lr_depth, scale_factor=self.scale_factor)
        x = torch.cat([up, up * img[:, :1]], dim=1)
        return self.conv2(torch.relu(self.conv1(x)))


def _sample(lr, gt=None, **meta):
    lr = torch.as_tensor(lr, dtype=torch.float32)
    meta.setdefault('img_shape', (lr.shape[-2] * 2, lr.shape[-1] * 2))
    sample = DenseDataSample(metainfo=meta)
    sample.lr_depth = PixelData(data=lr)
    if gt is not None:
        sample.gt_depth = PixelData(
            data=torch.as_tensor(gt, dtype=torch.float32)
        )
    return sample


# LR normalised by M = 4 (pipeline NormalizeDepth(mode='max')): 2 m and 4 m.
LR_NORM = [[[0.5, 1.0]]]
GT = [[[2.5, 0.0, 4.5, 3.0], [1.0, 2.5, 4.0, 5.0]]]  # one invalid pixel


def test_loss_denormalises_before_l1_hand_value():
    model = MODELS.build(
        dict(
            type=NearestSR,
            scale_factor=2,
            loss_sr=dict(type='L1Loss', loss_weight=2.0),
        )
    )
    sample = _sample(LR_NORM, GT, depth_norm_max=4.0, scale_factor=2)
    losses = model.loss(torch.zeros(1, 3, 2, 4), [sample])
    # Prediction in metres [[2, 2, 4, 4], [2, 2, 4, 4]]; |pred - gt| over
    # the 7 valid pixels: 0.5 + 0.5 + 1 + 1 + 0.5 + 0 + 1 = 4.5.
    assert losses['loss_sr'].item() == pytest.approx(2.0 * 4.5 / 7)
    losses['loss_sr'].backward()
    # d/d gain: sign(pred - gt) * up_metres summed over valid pixels:
    # -2 - 4 + 4 + 2 - 2 + 0 - 4 = -6.
    assert model.gain.grad.item() == pytest.approx(2.0 * -6 / 7)
    # Without the recorded maximum the same output stays in [0, 1].
    plain = _sample(LR_NORM, GT)
    assert model.loss(torch.zeros(1, 3, 2, 4), [plain])['loss_sr'].item() > 4


def test_loss_through_the_data_preprocessor():
    model = NearestSR(
        scale_factor=2, data_preprocessor=dict(type='DenseDataPreprocessor')
    )
    data = dict(
        inputs=[torch.zeros(3, 2, 4, dtype=torch.uint8)],
        data_samples=[_sample(LR_NORM, GT, depth_norm_max=4.0)],
    )
    losses = model(**model.data_preprocessor(data, True), mode='loss')
    assert losses['loss_sr'].item() == pytest.approx(4.5 / 7)


def test_predict_whole_in_metres_and_raw_forward():
    model = NearestSR(scale_factor=2)
    sample = _sample(LR_NORM, GT, depth_norm_max=4.0)
    raw = model(torch.zeros(1, 3, 2, 4), [sample], mode='tensor')
    assert raw[0, 0].tolist() == [[0.5, 0.5, 1.0, 1.0]] * 2
    (out,) = model.predict(torch.zeros(1, 3, 2, 4), [sample])
    assert out.pred_sr_depth.data[0].tolist() == [[2.0, 2.0, 4.0, 4.0]] * 2


def test_whole_image_with_a_tile_rule_normalises_the_image_as_one_tile():
    # LR in metres (no pipeline normalisation): the whole image is divided
    # by its own LR maximum (8 m) before the network, multiplied after.
    lr_m = torch.tensor([[[2.0, 8.0], [4.0, 6.0]]])
    model = NearestSR(scale_factor=2, test_cfg=dict(normalize='max'))
    seen = []
    forward_sr = model.forward_sr
    model.forward_sr = lambda img, lr: (
        seen.append(lr.clone()) or forward_sr(img, lr)
    )
    with torch.no_grad():
        model.gain.fill_(2.0)
        (out,) = model.predict(torch.zeros(1, 3, 4, 4), [_sample(lr_m)])
    torch.testing.assert_close(seen[0][0], lr_m / 8.0)
    # gain * (lr / 8) * 8 = gain * lr: metres again, not metres x 8
    expected = 2.0 * F.interpolate(lr_m[None], scale_factor=2)[0]
    torch.testing.assert_close(out.pred_sr_depth.data, expected)
    # without a rule the network sees metres
    plain = NearestSR(scale_factor=2)
    plain.forward_sr = lambda img, lr: (
        seen.append(lr.clone()) or torch.zeros(1, 1, 4, 4)
    )
    with torch.no_grad():
        plain.predict(torch.zeros(1, 3, 4, 4), [_sample(lr_m)])
    torch.testing.assert_close(seen[1][0], lr_m)


def test_padded_batch_replicates_lr_and_cuts_the_output():
    model = NearestSR(scale_factor=4)
    lr = torch.tensor([[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]])
    sample = _sample(
        lr / 6.0, img_shape=(8, 12), ori_shape=(8, 12), depth_norm_max=6.0
    )
    sample.set_metainfo(dict(batch_input_shape=(8, 16)))
    batch = model.extract_lr_depth(torch.zeros(1, 3, 8, 16), [sample])
    padded = torch.tensor([[1.0, 2.0, 3.0, 3.0], [4.0, 5.0, 6.0, 6.0]])
    torch.testing.assert_close(batch[0, 0], padded / 6.0)
    (out,) = model.predict(torch.zeros(1, 3, 8, 16), [sample])
    expected = F.interpolate(lr[None], scale_factor=4)[0]
    torch.testing.assert_close(out.pred_sr_depth.data, expected)


@pytest.mark.parametrize('normalize', [None, 'max'])
@pytest.mark.parametrize('blend', ['mean', 'linear'])
def test_slide_equals_whole_for_a_convolutional_model(normalize, blend):
    gen = torch.Generator().manual_seed(1)
    img = torch.rand(2, 3, 16, 24, generator=gen)
    lr_m = 0.5 + 4.5 * torch.rand(2, 1, 4, 6, generator=gen)
    peak = lr_m.amax(dim=(1, 2, 3))

    def samples(with_gt=True):
        out = []
        for i in range(2):
            gt = torch.rand(1, 16, 24) if with_gt else None
            out.append(
                _sample(
                    lr_m[i] / peak[i],
                    gt,
                    img_shape=(16, 24),
                    depth_norm_max=float(peak[i]),
                )
            )
        return out

    whole = ConvSR(scale_factor=4)
    slide = ConvSR(
        scale_factor=4,
        test_cfg=dict(
            mode='slide',
            patch_size=(8, 12),
            stride=(4, 4),
            normalize=normalize,
            blend=blend,
            margin=2,
        ),
    )
    with torch.no_grad():
        ref = whole.predict(img, samples())
        got = slide.predict(img, samples())
        no_gt = slide.predict(img, samples(with_gt=False))
    for a, b, c in zip(ref, got, no_gt):
        # Homogeneous model: f(lr / M) * M = f(lr), so the whole image
        # (pipeline-normalised) and the tiles (each by its own LR maximum)
        # agree in metres, to float32 rounding.
        torch.testing.assert_close(
            b.pred_sr_depth.data, a.pred_sr_depth.data, atol=1e-5, rtol=0
        )
        # The HR ground truth plays no part in the prediction.
        assert torch.equal(b.pred_sr_depth.data, c.pred_sr_depth.data)


@pytest.mark.parametrize('mode', ['slide', 'whole'])
def test_minmax_tiles_follow_affine_changes_of_the_depth(mode):
    # Each tile sees (lr - min) / (max - min) of its own LR depth and its
    # output is mapped back with the same numbers, so a*d + b in gives
    # a*pred + b out for any model: the depth range of a test set does
    # not change what the network sees. Division by the maximum alone
    # keeps the scale but not the offset.
    gen = torch.Generator().manual_seed(3)
    img = torch.rand(1, 3, 16, 24, generator=gen)
    lr = 0.5 + 4.5 * torch.rand(1, 4, 6, generator=gen)
    a, b = 3.7, 12.5

    def predict(normalize, depth):
        cfg = dict(mode=mode, normalize=normalize)
        if mode == 'slide':
            cfg.update(patch_size=(8, 12), stride=(4, 4), margin=2)
        model = ConvSR(scale_factor=4, test_cfg=cfg)
        with torch.no_grad():
            out = model.predict(img, [_sample(depth, img_shape=(16, 24))])
        return out[0].pred_sr_depth.data

    ref = predict('minmax', lr)
    torch.testing.assert_close(
        predict('minmax', a * lr + b), a * ref + b, atol=1e-4, rtol=0
    )
    by_max = predict('max', lr)
    torch.testing.assert_close(
        predict('max', a * lr), a * by_max, atol=1e-4, rtol=0
    )
    assert (predict('max', a * lr + b) - (a * by_max + b)).abs().max() > 0.1


def test_slide_runs_the_network_on_tile_batch_size_tiles():
    gen = torch.Generator().manual_seed(2)
    img = torch.rand(2, 3, 16, 24, generator=gen)
    lr = 0.5 + torch.rand(2, 1, 4, 6, generator=gen)
    samples = [_sample(lr[i], img_shape=(16, 24)) for i in range(2)]
    cfg = dict(mode='slide', patch_size=(8, 12), stride=(4, 4), margin=2)
    outs = {}
    for size in (16, 5, None):
        model = ConvSR(
            scale_factor=4, test_cfg=dict(cfg, tile_batch_size=size)
        )
        seen = []

        def forward_test(i, d, model=model, seen=seen):
            seen.append(i.shape[0])
            return model.forward_sr(i, d)

        model.forward_test = forward_test
        with torch.no_grad():
            outs[size] = model.inference(img, samples)
        # 2 images x 3 x 4 tiles, in slices of tile_batch_size.
        step = 24 if size is None else size
        assert seen == [step] * (24 // step) + [24 % step] * bool(24 % step)
    assert ConvSR(scale_factor=4).test_cfg['tile_batch_size'] == 16
    for size in (5, None):
        torch.testing.assert_close(outs[size], outs[16], atol=1e-6, rtol=0)


def test_input_and_config_errors():
    model = NearestSR(scale_factor=2)
    img = torch.zeros(1, 3, 2, 4)
    with pytest.raises(KeyError, match='a.png has no `lr_depth`'):
        model.predict(img, [DenseDataSample(metainfo=dict(img_path='a.png'))])
    with pytest.raises(ValueError, match='scale_factor 4, the model'):
        model.predict(img, [_sample(LR_NORM, scale_factor=4)])
    with pytest.raises(ValueError, match=r'size \(1, 2\), not its image'):
        model.predict(img, [_sample(LR_NORM, img_shape=(2, 6))])
    with pytest.raises(ValueError, match='not divisible by scale_factor 2'):
        model.predict(torch.zeros(1, 3, 3, 4), [_sample(LR_NORM)])
    with pytest.raises(ValueError, match='needs data samples'):
        model(img, None, mode='tensor')
    with pytest.raises(KeyError, match="unknown test_cfg keys \\['crop'\\]"):
        NearestSR(scale_factor=2, test_cfg=dict(crop=8))
    with pytest.raises(ValueError, match='needs test_cfg.patch_size'):
        NearestSR(scale_factor=2, test_cfg=dict(mode='slide'))
    with pytest.raises(ValueError, match="tile_batch_size must be .* got 'a"):
        NearestSR(scale_factor=2, test_cfg=dict(tile_batch_size='all'))
    with pytest.raises(ValueError, match='scale_factor must be a positive'):
        NearestSR(scale_factor=1.5)


def _keys_cubic(t, a=-0.75):
    t = abs(t)
    if t <= 1:
        return (a + 2) * t**3 - (a + 3) * t**2 + 1
    if t < 2:
        return a * t**3 - 5 * a * t**2 + 8 * a * t - 4 * a
    return 0.0


def _bicubic_row(values, s, a=-0.75):
    """1-D cubic convolution, align_corners=False, edges replicated."""
    n, out = len(values), []
    for u in range(n * s):
        x = (u + 0.5) / s - 0.5
        i0 = math.floor(x)
        acc = 0.0
        for i in range(i0 - 1, i0 + 3):
            acc += _keys_cubic(x - i, a) * values[min(max(i, 0), n - 1)]
        out.append(acc)
    return np.array(out)


def test_bicubic_baseline_constant_and_linear_maps():
    model = MODELS.build(dict(type='BicubicBaseline', scale_factor=3))
    assert isinstance(model, BicubicBaseline)
    assert list(model.parameters()) == []
    # Constant 2.5 m, normalised by its maximum: 2.5 m everywhere (the
    # kernel weights sum to 1 up to float32 rounding).
    const = _sample(
        torch.ones(1, 4, 5), img_shape=(12, 15), depth_norm_max=2.5
    )
    (out,) = model.predict(torch.zeros(1, 3, 12, 15), [const])
    torch.testing.assert_close(
        out.pred_sr_depth.data,
        torch.full((1, 12, 15), 2.5),
        atol=1e-5,
        rtol=0,
    )
    # Linear ramp along x: 2 + 0.5 * column.
    ramp = 2.0 + 0.5 * torch.arange(8.0)
    lr = ramp.expand(1, 4, 8).clone()
    (out,) = model.predict(
        torch.zeros(1, 3, 12, 24), [_sample(lr, img_shape=(12, 24))]
    )
    row = out.pred_sr_depth.data[0, 5].double().numpy()
    # HR pixel 3k + 1 sits on LR pixel centre k: the LR value (float32).
    np.testing.assert_allclose(row[1::3], ramp.numpy(), atol=1e-5)
    # Elsewhere: Keys cubic convolution with a = -0.75 (torch), which
    # unlike a = -0.5 (PIL, MATLAB) does not reproduce a linear ramp.
    np.testing.assert_allclose(row, _bicubic_row(ramp.tolist(), 3), atol=1e-5)
    linear = 2.0 + 0.5 * ((np.arange(24) + 0.5) / 3 - 0.5)
    interior = slice(6, 18)
    assert np.abs(row - linear)[interior].max() > 1e-3
    np.testing.assert_allclose(
        _bicubic_row(ramp.tolist(), 3, a=-0.5)[interior],
        linear[interior],
        atol=1e-9,
    )
    with pytest.raises(NotImplementedError, match='nothing to train'):
        model.loss(torch.zeros(1, 3, 12, 15), [const])


def _pil_upsample(lr, size):
    img = Image.fromarray(np.asarray(lr, dtype=np.float32), mode='F')
    out = img.resize((size[1], size[0]), Image.Resampling.BICUBIC)
    return np.asarray(out, dtype=np.float64)


@pytest.mark.parametrize('scale', [4, 8, 16])
def test_nyu_bicubic_configs_reproduce_pil(scale):
    """The NYU configs' baseline is PIL's bicubic of the LR map, in metres,
    also through the per-image min-max normalisation of the protocol."""
    cfg = Config.fromfile(osp.join(CONFIGS, f'bicubic_x{scale}_nyu-dsr.py'))
    assert cfg.model.kernel == 'pil'
    model = MODELS.build(cfg.model)
    rng = np.random.default_rng(scale)
    lr_m = rng.uniform(1.0, 6.0, (3, 5)).astype(np.float32)
    lr_m[:, 3:] -= 0.8  # a depth edge
    lo, hi = float(lr_m.min()), float(lr_m.max())
    hr_size = (3 * scale, 5 * scale)
    sample = _sample(
        (lr_m[None] - lo) / (hi - lo),
        img_shape=hr_size,
        depth_norm_min=lo,
        depth_norm_max=hi,
    )
    (out,) = model.predict(torch.zeros(1, 3, *hr_size), [sample])
    pred = out.pred_sr_depth.data[0].double().numpy()
    ref = _pil_upsample(lr_m, hr_size)
    np.testing.assert_allclose(pred, ref, rtol=0, atol=1e-5 * ref.max())
    # torch's bicubic (the SynthRooms config) is measurably different.
    torch_model = BicubicBaseline(scale_factor=scale, kernel='torch')
    (out,) = torch_model.predict(torch.zeros(1, 3, *hr_size), [sample])
    diff = out.pred_sr_depth.data[0].double().numpy() - ref
    assert np.abs(diff).max() > 1e-2


def test_bicubic_baseline_kernel_argument():
    assert BicubicBaseline(scale_factor=2).kernel == 'torch'
    synth = Config.fromfile(osp.join(CONFIGS, 'bicubic_x8_synthrooms-dsr.py'))
    assert synth.model.kernel == 'torch'
    with pytest.raises(ValueError, match='kernel must be one of'):
        BicubicBaseline(scale_factor=2, kernel='matlab')
