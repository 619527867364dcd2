"""Eigen 2015 task heads: targets on the receptive-field centres, losses,
loss keys, output units and the fields they write."""

import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData

from mmdepthsr.models.heads import (
    EigenDepthHead,
    EigenNormalHead,
    EigenSemSegHead,
)
from mmdepthsr.structures import DenseDataSample

LOG_SCALE = 0.45723134
SIZE = (24, 32)


def _samples(n=2, seed=0):
    gen = torch.Generator().manual_seed(seed)
    samples = []
    for i in range(n):
        sample = DenseDataSample(
            metainfo=dict(img_shape=SIZE, ori_shape=SIZE, img_path=f'{i}')
        )
        sample.gt_depth = PixelData(
            data=torch.rand(1, *SIZE, generator=gen) * 4 + 0.5
        )
        normal = torch.randn(3, *SIZE, generator=gen)
        sample.gt_normal = PixelData(data=F.normalize(normal, dim=0))
        labels = torch.randint(0, 3, (1, *SIZE), generator=gen)
        labels[:, :, :3] = 255
        sample.gt_sem_seg = PixelData(data=labels)
        samples.append(sample)
    return samples


def _fit(pred, samples, key, gt_key):
    """A stand-in for ``postprocess_dense`` at the input size."""
    for i, sample in enumerate(samples):
        sample.set_field(PixelData(data=pred[i]), key)
    return samples


def test_targets_sample_receptive_field_centres():
    head = EigenSemSegHead(num_classes=3)
    gt = torch.arange(24 * 32).reshape(1, 1, 24, 32)
    # scale 2: input row/column 4 j + 5
    target = head.targets(gt, 2, (4, 6))
    assert target[0, 0, 1, 2] == gt[0, 0, 9, 13]
    assert target.shape == (1, 1, 4, 6)
    # scale 3 on the crop (top 2, left 3): grid (2 + i, 3 + j) is centred
    # on input 2 (2 + i) + 5, 2 (3 + j) + 5
    target = head.targets(gt, 3, (3, 4), crop=(2, 3, 3, 4))
    assert target[0, 0, 0, 0] == gt[0, 0, 9, 11]
    assert target[0, 0, 2, 3] == gt[0, 0, 13, 17]


def test_seg_loss_keys_and_cross_entropy():
    head = EigenSemSegHead(num_classes=3)
    samples = _samples()
    torch.manual_seed(0)
    s2, s3 = torch.randn(2, 3, 4, 6), torch.randn(2, 3, 9, 12)
    losses = head.loss_by_feat({2: s2, 3: s3}, samples, input_hw=SIZE)
    assert list(losses) == ['loss_seg_s2', 'loss_seg_s3']
    labels = torch.stack([s.gt_sem_seg.data for s in samples])
    for key, pred, stride in (('loss_seg_s2', s2, 4), ('loss_seg_s3', s3, 2)):
        h, w = pred.shape[-2:]
        target = labels[:, 0, 5::stride, 5::stride][:, :h, :w]
        expected = F.cross_entropy(pred, target, ignore_index=255)
        torch.testing.assert_close(losses[key], expected)


def test_depth_loss_in_log_space_and_metres():
    head = EigenDepthHead(use_prior_bias=False)
    samples = _samples(n=1)
    pred = torch.randn(1, 1, 4, 6)
    losses = head.loss_by_feat({2: pred}, samples, input_hw=SIZE)
    gt = samples[0].gt_depth.data[None, :, 5::4, 5::4][..., :4, :6]
    d = pred - torch.log(gt) / LOG_SCALE
    si = (d**2).mean() - 0.5 * d.mean() ** 2
    gx = (d[..., 1:] - d[..., :-1]).pow(2).mean()
    gy = (d[..., 1:, :] - d[..., :-1, :]).pow(2).mean()
    assert list(losses) == ['loss_depth_s2']
    torch.testing.assert_close(losses['loss_depth_s2'], si + gx + gy)
    # prediction: upsampled in log space, then metres
    log_depth = torch.full((1, 1, 5, 7), math.log(2.0) / LOG_SCALE)
    out = head.predict_by_feat({3: log_depth}, samples, input_hw=(14, 18))
    assert out.shape == (1, 1, 14, 18)
    torch.testing.assert_close(out, torch.full((1, 1, 14, 18), 2.0))
    head.postprocess(out, samples, _fit)
    assert samples[0].pred_depth.data.shape == (1, 14, 18)
    with pytest.raises(ValueError, match='log_space_scale'):
        EigenDepthHead(loss_decode=dict(log_space_scale=1.0))


def test_normal_loss_weight_and_unit_predictions():
    head = EigenNormalHead()
    samples = _samples(n=1)
    pred = F.normalize(torch.randn(1, 3, 4, 6), dim=1)
    losses = head.loss_by_feat({2: pred}, samples, input_hw=SIZE)
    gt = samples[0].gt_normal.data[None, :, 5::4, 5::4][..., :4, :6]
    torch.testing.assert_close(
        losses['loss_normal_s2'], -10 * (pred * gt).sum(1).mean()
    )
    head.postprocess(3 * torch.ones(1, 3, *SIZE), samples, _fit)
    torch.testing.assert_close(
        samples[0].pred_normal.data, torch.full((3, *SIZE), 3**-0.5)
    )
    with pytest.raises(ValueError, match='input grid'):
        head.loss_by_feat({2: pred}, samples, input_hw=(20, 32))


def test_seg_postprocess_writes_argmax():
    head = EigenSemSegHead(num_classes=3)
    samples = _samples(n=1)
    logits = torch.zeros(1, 3, *SIZE)
    logits[:, 2, :, 10:] = 1.0
    logits[:, 1, :, :10] = 1.0
    head.postprocess(logits, samples, _fit)
    assert samples[0].seg_logits.data.shape == (3, *SIZE)
    expected = torch.ones(1, *SIZE, dtype=torch.long)
    expected[..., 10:] = 2
    assert torch.equal(samples[0].pred_sem_seg.data, expected)


def test_init_depth_sets_the_untrained_prediction():
    torch.manual_seed(0)
    release = EigenDepthHead()
    release.init_weights()
    head = EigenDepthHead(init_depth=2.8)
    head.init_weights()
    x2 = torch.rand(2, 160, 55, 74)
    x3 = torch.rand(2, 64, 109, 147)
    for h, depth in ((release, 1.0), (head, 2.8)):
        for out in (h.forward_scale2(x2), h.forward_scale3(x3)):
            metres = h.to_output_units(out, [])
            # N(0, 0.01^2) weights: the output is the bias, up to ~5 %
            assert metres.median().item() == pytest.approx(depth, rel=0.05)
    expected = math.log(2.8) / head.log_depth_scale
    assert head.conv_s2_5.bias.item() == pytest.approx(expected)
    assert head.conv_s3_4.bias.item() == pytest.approx(expected)
    assert float(head.prior_bias.abs().max()) == 0.0
    with pytest.raises(ValueError, match='init_depth'):
        EigenDepthHead(init_depth=0.0)


def test_s3_pass_through_starts_scale3_at_the_scale2_prediction():
    torch.manual_seed(0)
    head = EigenDepthHead(s3_pass_through=True)
    head.init_weights()
    x3 = torch.rand(2, 64, 109, 147) * 0.1
    x3[:, 0] = torch.rand(2, 109, 147) * 3 + 0.5  # log-depth map (> 0)
    out = head.forward_scale3(x3)
    # the other taps and channels reach the output through N(0, 0.01^2)
    # weights only: a perturbation of a few per cent of the carried map
    error = (out[:, 0] - x3[:, 0]).abs()
    assert error.mean() < 0.05 * x3[:, 0].mean()
    assert error.max() < 0.5
    release = EigenDepthHead()
    release.init_weights()
    assert release.forward_scale3(x3).abs().mean() < 0.05
    # negative values (depth below 1 m) are cut by the ReLUs
    x3[:, 0] = -1.0
    assert head.forward_scale3(x3).abs().mean() < 0.05


def test_model_init_weights_reaches_the_task_heads():
    """The runner calls ``init_weights()`` on the whole model: the heads
    (kept in a ModuleDict of the decoder) get the release's N(0, 0.01^2)
    init and their ``init_depth`` / ``s3_pass_through``."""
    from mmengine.config import Config

    from mmdepthsr.registry import MODELS

    cfg = Config.fromfile(
        'configs/eigen2015/eigen2015_alexnet_1xb8-250it_synthrooms-depth-'
        '228x304.py'
    )
    cfg.model.decoder.heads.depth.update(init_depth=2.8, s3_pass_through=True)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    head = model.decoder.heads['depth']
    weight = head.conv_s2_3.weight
    assert weight.std().item() == pytest.approx(0.01, rel=0.05)
    expected = math.log(2.8) / head.log_depth_scale
    assert head.conv_s2_5.bias.item() == pytest.approx(expected)
    assert head.conv_s3_2.weight[0, 0, 2, 2].item() == 1.0
    assert head.conv_s3_4.bias.item() == 0.0
