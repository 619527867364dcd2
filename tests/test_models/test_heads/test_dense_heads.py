"""Dense task heads: the loss / predict contract, target alignment at every
scale, hand-computed losses, de-normalisation and written fields."""

import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData

from mmdepthsr.models.heads import (
    TASKS,
    BaseDenseHead,
    DepthHead,
    NormalHead,
    SegHead,
    SRHead,
)
from mmdepthsr.registry import MODELS
from mmdepthsr.structures import DenseDataSample


def _samples(n=1, size=(4, 4), norm_max=None, **fields):
    samples = []
    for i in range(n):
        meta = dict(img_shape=size, ori_shape=size, batch_input_shape=size)
        if norm_max is not None:
            meta['depth_norm_max'] = norm_max
        sample = DenseDataSample(metainfo=meta)
        for key, value in fields.items():
            setattr(sample, key, PixelData(data=value[i]))
        samples.append(sample)
    return samples


def _const_head(head, values):
    """Prediction convs that output a constant per scale."""
    with torch.no_grad():
        for conv, value in zip(head.pred_convs, values):
            conv.weight.zero_()
            conv.bias.fill_(value)
    return head


def _fit(pred, data_samples, key, gt_key):
    for i, sample in enumerate(data_samples):
        setattr(sample, key, PixelData(data=pred[i]))
    return data_samples


@pytest.mark.parametrize(
    'cfg, task',
    [
        (dict(type='DepthHead', in_channels=4), 'depth'),
        (dict(type='SRHead', in_channels=4), 'sr'),
        (dict(type='SegHead', in_channels=4, num_classes=3), 'seg'),
        (dict(type='NormalHead', in_channels=4), 'normal'),
    ],
)
def test_heads_registered_with_their_task(cfg, task):
    head = MODELS.build(cfg)
    assert isinstance(head, BaseDenseHead) and head.task == task
    assert task in TASKS


def test_depth_head_shapes_and_hand_computed_deep_supervision_loss():
    head = DepthHead(in_channels=(4, 2), scales=(2, 1), loss_weights=(0.5, 1))
    feats = [torch.zeros(1, 4, 2, 2), torch.zeros(1, 2, 4, 4)]
    assert [tuple(p.shape) for p in head(feats)] == [
        (1, 1, 2, 2),
        (1, 1, 4, 4),
    ]
    _const_head(head, (0.5, 0.25))
    gt = torch.tensor(
        [
            [
                [
                    [1.0, 3.0, 2.0, 2.0],
                    [0.0, 2.0, 2.0, 2.0],
                    [0.0, 0.0, 4.0, 0.0],
                    [0.0, 0.0, 0.0, 0.0],
                ]
            ]
        ]
    )
    # normalised by depth_norm_max = 4 m: predictions 2 m (1/2), 1 m (1)
    samples = _samples(norm_max=4.0, gt_depth=gt)
    losses = head.loss(feats, samples)
    assert sorted(losses) == ['loss_depth_s1', 'loss_depth_s2']
    # 1/2 target (masked block means): [[2, 2], [0 (no valid), 4]]
    # |2-2| + |2-2| + |2-4| over 3 valid pixels, times 0.5
    torch.testing.assert_close(losses['loss_depth_s2'], torch.tensor(1 / 3))
    # full scale: 8 valid pixels 1, 3, 2, 2, 2, 2, 2, 4 against 1 m
    expected = (0 + 2 + 1 + 1 + 1 + 1 + 1 + 3) / 8
    torch.testing.assert_close(losses['loss_depth_s1'], torch.tensor(expected))
    # prediction: the last scale, de-normalised to metres
    pred = head.predict(feats, samples)
    torch.testing.assert_close(pred, torch.full((1, 1, 4, 4), 1.0))


def test_loss_key_scheme_and_zero_weight_skips_the_scale():
    one = DepthHead(in_channels=2)
    assert one.loss_key(0) == 'loss_depth'
    head = SegHead(
        in_channels=2, num_classes=2, scales=(4, 2, 1), loss_weights=(0, 1, 1)
    )
    feats = [torch.zeros(1, 2, 8 // s, 8 // s) for s in (4, 2, 1)]
    labels = torch.zeros(1, 1, 8, 8, dtype=torch.long)
    losses = head.loss(feats, _samples(size=(8, 8), gt_sem_seg=labels))
    assert sorted(losses) == ['loss_seg_s1', 'loss_seg_s2']


def test_depth_head_rejects_misaligned_ground_truth():
    head = DepthHead(in_channels=2, scales=(2,))
    feats = [torch.zeros(1, 2, 3, 3)]
    samples = _samples(gt_depth=torch.ones(1, 1, 4, 4))
    with pytest.raises(ValueError, match='DepthHead.*gt_depth.*scale-2'):
        head.loss(feats, samples)
    with pytest.raises(ValueError, match='DepthHead.*2 feature maps'):
        DepthHead(in_channels=2, scales=(2, 1))(feats)
    with pytest.raises(ValueError, match='DepthHead.*channels'):
        DepthHead(in_channels=3)(feats)
    with pytest.raises(ValueError, match='gt_downsample'):
        DepthHead(in_channels=2, gt_downsample='area')


def test_sr_head_is_a_residual_over_the_upsampled_lr_depth():
    head = SRHead(in_channels=2, scales=(4, 2, 1))
    # residual heads start at zero: the output is the LR input's block means
    for conv in head.pred_convs:
        assert not conv.weight.any() and not conv.bias.any()
    gen = torch.Generator().manual_seed(0)
    up = torch.rand(1, 1, 8, 8, generator=gen)
    feats = [
        torch.rand(1, 2, 8 // s, 8 // s, generator=gen) for s in (4, 2, 1)
    ]
    preds = head(feats, lr_depth=up)
    torch.testing.assert_close(preds[0], F.avg_pool2d(up, 4))
    torch.testing.assert_close(preds[2], up)
    _const_head(head, (0.1, 0.2, 0.3))
    preds = head(feats, lr_depth=up)
    torch.testing.assert_close(preds[1], F.avg_pool2d(up, 2) + 0.2)
    gt = torch.full((1, 1, 8, 8), 2.0)
    losses = head.loss(
        feats, _samples(size=(8, 8), norm_max=2.0, gt_depth=gt), lr_depth=up
    )
    assert sorted(losses) == ['loss_sr_s1', 'loss_sr_s2', 'loss_sr_s4']
    expected = (2.0 * (up + 0.3) - 2.0).abs().mean()
    torch.testing.assert_close(losses['loss_sr_s1'], expected)
    with pytest.raises(ValueError, match='SRHead.*lr_depth'):
        head(feats)
    plain = SRHead(in_channels=2, residual=False)
    assert not plain.zero_init and plain.pred_key == 'pred_sr_depth'


def test_seg_head_labels_subsampled_at_block_centres_and_argmax():
    head = SegHead(in_channels=1, num_classes=2, scales=(2,), kernel_size=1)
    with torch.no_grad():
        head.pred_convs[0].weight.copy_(torch.tensor([[[[1.0]]], [[[-1.0]]]]))
        head.pred_convs[0].bias.zero_()
    feat = torch.tensor([[[[1.0, -1.0], [2.0, 0.0]]]])
    labels = torch.full((1, 1, 4, 4), 255, dtype=torch.long)
    # the pixels at offset 1 of each 2x2 block carry the labels
    labels[0, 0, 1, 1], labels[0, 0, 1, 3], labels[0, 0, 3, 1] = 0, 1, 1
    losses = head.loss([feat], _samples(gt_sem_seg=labels))
    # logits (x, -x): nll of class 0 = log(1 + e^{-2x}), class 1 = ... e^{2x}
    expected = (
        torch.log1p(torch.exp(torch.tensor(-2.0)))
        + torch.log1p(torch.exp(torch.tensor(-2.0)))
        + torch.log1p(torch.exp(torch.tensor(4.0)))
    ) / 3
    torch.testing.assert_close(losses['loss_seg'], expected)
    samples = head.postprocess(
        head.predict([feat], None), _samples(size=(2, 2)), _fit
    )
    torch.testing.assert_close(
        samples[0].pred_sem_seg.data, torch.tensor([[[0, 1], [0, 0]]])
    )
    with pytest.raises(ValueError, match='num_classes'):
        SegHead(in_channels=1, num_classes=1)


def test_normal_head_targets_losses_and_unit_predictions():
    head = NormalHead(in_channels=1, scales=(2,), kernel_size=1)
    with torch.no_grad():
        head.pred_convs[0].weight.zero_()
        head.pred_convs[0].bias.copy_(torch.tensor([0.0, 0.0, 3.0]))
    feat = torch.zeros(1, 1, 1, 1)
    gt = torch.zeros(1, 3, 2, 2)
    gt[0, 2, 0, 0] = 1.0  # +z
    gt[0, 0, 1, 1] = 1.0  # +x; the block mean normalised is (1, 0, 1)/sqrt2
    losses = head.loss([feat], _samples(size=(2, 2), gt_normal=gt))
    # NormalCosineLoss: -cos = -1/sqrt(2) for the one coarse pixel
    torch.testing.assert_close(
        losses['loss_normal'], torch.tensor(-(0.5**0.5))
    )
    pred = head.predict([feat], None)
    torch.testing.assert_close(pred[0, :, 0, 0], torch.tensor([0.0, 0, 1]))


def _softplus(x):
    return torch.nn.functional.softplus(torch.tensor(float(x)))


def test_seg_head_upsample_to_input_hand_computed():
    """Logits at 1/2 upsampled bilinearly to the label size (DeepLab)."""
    head = SegHead(
        in_channels=1,
        num_classes=2,
        scales=(2,),
        kernel_size=1,
        upsample_to_input=True,
    )
    assert head.pred_scales == (1,) and head.scales == (2,)
    with torch.no_grad():
        head.pred_convs[0].weight.copy_(torch.tensor([[[[1.0]]], [[[0.0]]]]))
        head.pred_convs[0].bias.zero_()
    feat = torch.tensor([[[[0.0, 4.0]]]])  # (1, 1, 1, 2)
    # bilinear 1 x 2 -> 2 x 4, align_corners=False: the columns sample at
    # -0.25 (clamped), 0.25, 0.75, 1.25 (clamped): (0, 1, 3, 4); class 1 = 0
    (logits,) = head([feat])
    expected_logits = torch.zeros(1, 2, 2, 4)
    expected_logits[0, 0] = torch.tensor([0.0, 1.0, 3.0, 4.0])
    torch.testing.assert_close(logits, expected_logits)
    labels = torch.tensor([[[[1, 0, 1, 255], [0, 0, 1, 0]]]])
    losses = head.loss([feat], _samples(size=(2, 4), gt_sem_seg=labels))
    assert list(losses) == ['loss_seg']
    # two logits (z, 0): nll of class 0 = softplus(-z), class 1 = softplus(z)
    expected = (
        _softplus(0)  # label 1, z = 0
        + _softplus(-1)
        + _softplus(3)
        + _softplus(0)  # label 0, z = 0
        + _softplus(-1)
        + _softplus(3)
        + _softplus(-4)
    ) / 7
    torch.testing.assert_close(losses['loss_seg'], expected)
    torch.testing.assert_close(head.predict([feat], None), expected_logits)
    # the default subsamples the labels to the 1 x 2 logits instead: the
    # labels at (1, 1) and (1, 3), both 0, against z = 0 and 4
    head.upsample_to_input = False
    losses = head.loss([feat], _samples(size=(2, 4), gt_sem_seg=labels))
    torch.testing.assert_close(
        losses['loss_seg'], (_softplus(0) + _softplus(-4)) / 2
    )


def test_depth_head_upsample_to_input_hand_computed():
    head = DepthHead(
        in_channels=(1, 1),
        scales=(2, 1),
        kernel_size=1,
        loss_weights=(0.5, 1.0),
        upsample_to_input=True,
    )
    _const_head(head, (0.0, 2.0))
    with torch.no_grad():
        head.pred_convs[0].weight.fill_(1.0)
    feats = [torch.tensor([[[[1.0, 3.0]]]]), torch.zeros(1, 1, 2, 4)]
    preds = head(feats)
    assert [tuple(p.shape) for p in preds] == [(1, 1, 2, 4)] * 2
    # 1 x 2 -> 2 x 4 bilinear: columns (1, 1.5, 2.5, 3) in both rows
    torch.testing.assert_close(
        preds[0][0, 0], torch.tensor([[1.0, 1.5, 2.5, 3.0]] * 2)
    )
    gt = torch.tensor([[[[1.0, 2.0, 0.0, 3.0], [2.0, 2.0, 2.0, 2.0]]]])
    losses = head.loss(feats, _samples(size=(2, 4), gt_depth=gt))
    # keys keep the input scales; masked L1 over the 7 valid pixels:
    # s2: 0 + 0.5 + 0 + 1 + 0.5 + 0.5 + 1 = 3.5; s1 (constant 2): 1 + 0 + 1
    # + 0 * 4 = 2
    assert list(losses) == ['loss_depth_s2', 'loss_depth_s1']
    torch.testing.assert_close(losses['loss_depth_s2'], torch.tensor(0.25))
    torch.testing.assert_close(losses['loss_depth_s1'], torch.tensor(2 / 7))


@pytest.mark.parametrize(
    'cfg',
    [
        dict(type='NormalHead'),
        dict(type='SRHead'),
        dict(type='SegHead', num_classes=3),
    ],
)
def test_upsample_to_input_shapes_of_every_head(cfg):
    head = MODELS.build(
        dict(cfg, in_channels=2, scales=(4, 2), upsample_to_input=True)
    )
    feats = [torch.randn(2, 2, 2, 3), torch.randn(2, 2, 4, 6)]
    lr_up = torch.rand(2, 1, 8, 12)
    preds = head(feats, lr_depth=lr_up)
    assert [tuple(p.shape[-2:]) for p in preds] == [(8, 12), (8, 12)]
    if cfg['type'] == 'SRHead':
        # zero-initialised residual: the LR depth itself at every scale
        for pred in preds:
            torch.testing.assert_close(pred, lr_up)
