"""CLIFFNet estimator: losses, prediction, clamp, configs."""

from functools import partial

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.structures import PixelData

from mmdepthsr.models.estimators import CLIFFNet
from mmdepthsr.registry import MODELS
from mmdepthsr.structures import DenseDataSample

# close to the recorded legacy outputs: the fixtures were written with
# another thread count, whose summation order changes the last bits, and
# the deep PMBANet stages amplify that to about 1e-5
_close = partial(torch.testing.assert_close, rtol=1e-4, atol=1e-4)

BASE_CFG = 'configs/_base_/models/cliffnet_r50.py'


def small_model(**kwargs):
    """ResNet-50 backbone with a narrow neck / decoder (fast tests)."""
    cfg = dict(
        backbone=dict(type='ResNet', depth=50, style='caffe'),
        neck=dict(
            type='FPN', in_channels=(256, 512, 1024, 2048), out_channels=16
        ),
        decoder=dict(
            type='CLIFFDecoder', in_channels=16, channels=16, head_channels=16
        ),
    )
    cfg.update(kwargs)
    return CLIFFNet(**cfg)


def samples(n, gt_hw, img_hw, seed=0):
    gen = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        gt = 1 + 4 * torch.rand(1, *gt_hw, generator=gen)
        gt[:, : gt_hw[0] // 4] = 0  # invalid rows
        out.append(
            DenseDataSample(
                gt_depth=PixelData(data=gt),
                metainfo=dict(img_shape=img_hw, ori_shape=gt_hw),
            )
        )
    return out


@pytest.mark.slow
def test_full_model_parameter_count_and_shape():
    cfg = Config.fromfile(BASE_CFG)
    model = MODELS.build(cfg.model)
    n = sum(p.numel() for p in model.parameters())
    # ResNet-50 w/o fc + FPN + CLIFF decoder + head conv
    assert n == 23_508_032 + 3_346_432 + 10_032_640 + 2_305 == 36_889_409
    with torch.no_grad():
        out = model.forward_depth(torch.randn(1, 3, 57, 76))
    assert tuple(out.shape) == (1, 1, 57, 76)


@pytest.mark.slow
def test_l1_loss_masks_invalid_pixels_and_backprops():
    model = small_model()
    img = torch.randn(2, 3, 64, 80)
    data = samples(2, (64, 80), (64, 80))
    losses = model.loss(img, data)
    assert list(losses) == ['loss_depth_l1']
    # train-mode BN uses the batch statistics: same input, same output
    pred = model.forward_depth(img)
    gt = torch.stack([s.gt_depth.data for s in data])
    valid = gt > 0
    expected = (pred - gt).abs()[valid].mean()
    loss = model.loss(img, data)['loss_depth_l1']
    torch.testing.assert_close(loss, expected, rtol=1e-4, atol=1e-5)
    loss.backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0
    assert model.head.pred_convs[0].weight.grad.abs().sum() > 0
    assert model.neck.lateral_convs[3][0].weight.grad.abs().sum() > 0


def test_loss_resizes_prediction_to_larger_gt():
    model = small_model()
    losses = model.loss(
        torch.randn(1, 3, 32, 48), samples(1, (64, 96), (32, 48))
    )
    assert torch.isfinite(losses['loss_depth_l1'])


class _NamedLoss(nn.Module):
    loss_name = 'loss_named'

    def forward(self, pred, target):
        return pred.mean() * 0 + 3.0


def test_loss_list_names_and_sum():
    MODELS.register_module(
        'CLIFFNetTestNamedLoss', module=_NamedLoss, force=True
    )
    model = small_model(
        loss_decode=[
            dict(type='L1Loss'),
            dict(type='L1Loss', loss_weight=2.0),
            dict(type='CLIFFNetTestNamedLoss'),
        ]
    )
    model.eval()  # deterministic BN for comparing the two L1 terms
    with torch.no_grad():
        losses = model.loss(
            torch.randn(1, 3, 32, 32), samples(1, (32, 32), (32, 32))
        )
    assert list(losses) == [
        'loss_depth_0_l1',
        'loss_depth_1_l1',
        'loss_depth_named',
    ]
    torch.testing.assert_close(
        losses['loss_depth_1_l1'], 2 * losses['loss_depth_0_l1']
    )
    assert float(losses['loss_depth_named']) == 3.0
    with pytest.raises(ValueError, match='duplicate'):
        small_model(
            loss_decode=[
                dict(type='CLIFFNetTestNamedLoss'),
                dict(type='CLIFFNetTestNamedLoss'),
            ]
        )


@pytest.mark.slow
def test_predict_clamp_and_gt_size():
    model = small_model(test_cfg=dict(clamp=(0, 10))).eval()
    with torch.no_grad():
        model.head.pred_convs[0].bias.fill_(100.0)
        model.head.pred_convs[0].weight.zero_()
        out = model.predict(
            torch.randn(2, 3, 32, 40), samples(2, (64, 80), (32, 40))
        )
    assert tuple(out[0].pred_depth.data.shape) == (1, 64, 80)
    assert torch.all(out[1].pred_depth.data == 10.0)
    model.test_cfg = {}
    with torch.no_grad():
        raw = model.predict(torch.randn(1, 3, 32, 40))
    assert tuple(raw[0].pred_depth.data.shape) == (1, 32, 40)
    torch.testing.assert_close(
        raw[0].pred_depth.data, torch.full((1, 32, 40), 100.0)
    )
    with pytest.raises(ValueError, match='clamp'):
        small_model(test_cfg=dict(clamp=(10, 0)))


def test_preprocessor_gives_bgr_minus_release_mean():
    cfg = Config.fromfile(BASE_CFG)
    pre = MODELS.build(cfg.model.data_preprocessor)
    img = torch.stack(
        [torch.full((4, 4), v, dtype=torch.uint8) for v in (10, 20, 30)]
    )
    sample = DenseDataSample(metainfo=dict(img_shape=(4, 4)))
    out = pre(dict(inputs=[img], data_samples=[sample]))['inputs'][0]
    expected = torch.tensor([30 - 102.98, 20 - 115.95, 10 - 122.77])
    torch.testing.assert_close(out[:, 0, 0], expected)


def test_forward_depth_rejects_bad_input():
    with pytest.raises(ValueError, match='CLIFFNet'):
        small_model().forward_depth(torch.randn(3, 32, 32))


def test_checkpoint_of_the_self_contained_layout_loads_and_matches(
    replay_legacy,
):
    """The state dict of CLIFFNet before it composed a head (prediction
    head in ``decoder.head``, the HEG encoder in ``loss_decode``) loads
    strictly and gives the recorded output, losses (now under
    ``loss_depth_*``) and prediction exactly."""
    model = MODELS.build(
        dict(
            type='CLIFFNet',
            backbone=dict(
                type='LightConvEncoder', in_channels=3, channels=(4, 8, 8, 16)
            ),
            neck=dict(type='FPN', in_channels=(4, 8, 8, 16), out_channels=8),
            decoder=dict(
                type='CLIFFDecoder', in_channels=8, channels=8, head_channels=8
            ),
            loss_decode=[
                dict(type='L1Loss'),
                dict(type='HierarchicalEmbeddingLoss', warmup_iters=0),
            ],
            data_preprocessor=dict(
                type='DenseDataPreprocessor',
                mean=[102.98, 115.95, 122.77],
                std=[1.0] * 3,
                bgr_to_rgb=True,
            ),
        )
    )
    ref, tensor, losses, preds = replay_legacy(model, 'cliffnet_tiny.pth')
    _close(tensor, ref['tensor'])
    renamed = dict(loss_0_l1='loss_depth_0_l1', loss_heg='loss_depth_heg')
    assert list(losses) == [renamed[k] for k in ref['losses']]
    for old, new in renamed.items():
        _close(losses[new], ref['losses'][old])
    _close(preds['pred_depth'], ref['preds']['pred_depth'])
    heg = model.head.loss_decode[1]
    assert torch.equal(
        heg.encoder.layers.conv1_1[0].weight,
        ref['state_dict']['loss_decode.1.encoder.layers.conv1_1.0.weight'],
    )
