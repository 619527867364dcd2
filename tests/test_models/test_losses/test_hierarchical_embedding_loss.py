"""Tests of the CLIFFNet hierarchical embedding loss."""

import pytest
import torch
import torch.nn as nn

from mmdepthsr.models.losses import HierarchicalEmbeddingLoss
from mmdepthsr.registry import MODELS


@MODELS.register_module(force=True)
class _TinyDepthEncoder(nn.Module):
    """f1 = 2 * x (full res), f2 = avg-pool 2x2 of (x + 1); one weight."""

    out_names = ('f1', 'f2')
    out_channels = (1, 1)
    out_strides = (1, 2)

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(2.0))
        self.bn = nn.BatchNorm2d(1)

    def forward(self, x):
        return (self.scale * x, nn.functional.avg_pool2d(x + 1, 2))


def _loss(**kwargs):
    cfg = dict(
        encoder=dict(type='_TinyDepthEncoder'),
        layers=('f1', 'f2'),
        layer_weights=(10.0, 15.0),
        warmup_iters=100,
    )
    cfg.update(kwargs)
    return HierarchicalEmbeddingLoss(**cfg)


def _pair():
    target = torch.tensor([[[[1.0, 2.0], [0.0, 4.0]]]])  # one invalid pixel
    pred = torch.tensor([[[[1.5, 1.0], [3.0, 4.0]]]])
    return pred, target


def test_hand_computed_value_and_warmup():
    pred, target = _pair()
    # pixel L1 over the 3 valid pixels: (0.5 + 1 + 0) / 3 = 0.5
    # raw target (invalid = 0) fed to the encoder:
    # f1: 2 * mean(|0.5|, |-1|, |3|, |0|) = 2 * 4.5 / 4 = 2.25
    # f2: |mean(pred + 1) - mean(target + 1)| = |9.5 - 7| / 4 = 0.625
    feat = 10 * 2.25 + 15 * 0.625
    loss = _loss().train()
    assert loss(pred, target).item() == pytest.approx(0.5)  # t = 0
    assert int(loss.num_iters) == 1
    loss.num_iters.fill_(50)
    assert loss(pred, target).item() == pytest.approx(0.5 + 0.5 * feat)
    loss.num_iters.fill_(100)
    assert loss(pred, target).item() == pytest.approx(0.5 + feat)
    loss.num_iters.fill_(1000)
    assert loss(pred, target).item() == pytest.approx(0.5 + feat)
    # eval calls do not advance t
    loss.eval()
    loss(pred, target)
    loss(pred, target)
    assert int(loss.num_iters) == 1001
    weighted = _loss(warmup_iters=0, loss_weight=2.0, pixel_weight=3.0)
    assert weighted(pred, target).item() == pytest.approx(2 * (1.5 + feat))


def test_invalid_mode_pred():
    pred, target = _pair()
    # invalid pixel filled with pred (3.0): f1 = 2 * 1.5 / 4, f2 = 0.5 / 4
    feat = 10 * 0.75 + 15 * 0.125
    loss = _loss(warmup_iters=0, invalid_mode='pred')
    assert loss(pred, target).item() == pytest.approx(0.5 + feat)


def test_buffer_in_state_dict_and_resume():
    loss = _loss().train()
    pred, target = _pair()
    for _ in range(7):
        loss(pred, target)
    state = loss.state_dict()
    assert int(state['num_iters']) == 7
    assert 'encoder_loaded' in state
    fresh = _loss()
    fresh.load_state_dict(state)
    assert int(fresh.num_iters) == 7
    assert fresh.feature_weight() == pytest.approx(0.07)


def test_frozen_encoder_grads_flow_to_pred():
    loss = _loss(warmup_iters=0)
    parent = nn.Sequential(loss)
    parent.train()
    assert loss.training and not loss.encoder.training
    assert not loss.encoder.bn.training
    assert all(not p.requires_grad for p in loss.encoder.parameters())
    pred, target = _pair()
    pred.requires_grad_(True)
    loss(pred, target).backward()
    assert loss.encoder.scale.grad is None
    assert pred.grad is not None and pred.grad.abs().sum() > 0
    # the invalid pixel gets a gradient only from the feature term
    assert pred.grad[0, 0, 1, 0] != 0


def test_scenenet_default_encoder_grad():
    loss = HierarchicalEmbeddingLoss(warmup_iters=0)
    pred = (torch.rand(2, 1, 8, 8) + 0.5).requires_grad_(True)
    target = torch.rand(2, 1, 8, 8) + 0.5
    loss(pred, target).backward()
    assert pred.grad.abs().sum() > 0
    assert all(p.grad is None for p in loss.encoder.parameters())


def test_checkpoint_loading(tmp_path):
    source = _loss()
    source.encoder.scale.data.fill_(3.0)
    state = {f'encoder.{k}': v for k, v in source.encoder.state_dict().items()}
    state['decoder.w'] = torch.zeros(1)
    path = tmp_path / 'iter_1.pth'
    torch.save(dict(state_dict=state, meta=dict(iter=1)), path)
    # building does not read the file
    loss = _loss(encoder_checkpoint=str(tmp_path / 'missing.pth'))
    assert float(loss.encoder.scale) == 2.0
    loss = _loss(encoder_checkpoint=str(path))
    assert float(loss.encoder.scale) == 2.0
    loss.train()
    pred, target = _pair()
    loss(pred, target)  # t = 0: w = 0, the encoder is not used yet
    assert float(loss.encoder.scale) == 2.0
    assert not bool(loss.encoder_loaded)
    loss(pred, target)  # t = 1: first use of the encoder loads it
    assert float(loss.encoder.scale) == 3.0
    assert bool(loss.encoder_loaded)
    assert not loss.encoder.scale.requires_grad
    # a resumed loss (flag set) does not read the file again
    resumed = _loss(encoder_checkpoint=str(tmp_path / 'missing.pth'))
    resumed.load_state_dict(loss.state_dict())
    resumed.train()(pred, target)
    assert float(resumed.encoder.scale) == 3.0


def test_checkpoint_errors(tmp_path):
    path = tmp_path / 'bad.pth'
    torch.save(dict(state_dict={'backbone.scale': torch.ones(())}), path)
    loss = _loss(encoder_checkpoint=str(path), warmup_iters=0).train()
    pred, target = _pair()
    with pytest.raises(ValueError, match='missing keys'):
        loss(pred, target)
    with pytest.raises(FileNotFoundError):
        _loss(encoder_checkpoint=str(tmp_path / 'no.pth'), warmup_iters=0)(
            pred, target
        )
    good = tmp_path / 'good.pth'
    torch.save(
        {f'heg.{k}': v for k, v in _loss().encoder.state_dict().items()},
        good,
    )
    loss = _loss(encoder_checkpoint=str(good), checkpoint_prefix='heg.')
    loss.load_encoder_checkpoint()
    assert bool(loss.encoder_loaded)


def test_bad_arguments():
    with pytest.raises(ValueError, match='HierarchicalEmbeddingLoss'):
        _loss(layer_weights=(1.0,))
    with pytest.raises(ValueError, match='not outputs'):
        HierarchicalEmbeddingLoss(layers=('relu9_9',), layer_weights=(1,))
    pred, target = _pair()
    with pytest.raises(ValueError, match='same|both'):
        _loss()(pred, target[..., :1])
    with pytest.raises(ValueError, match='no valid'):
        _loss()(pred, torch.zeros_like(target))
