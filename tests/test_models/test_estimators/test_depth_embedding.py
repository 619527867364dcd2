"""Tests of the depth-encoder pre-training estimators."""

import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData

from mmdepthsr.models.estimators import DepthAutoEncoder, DepthSceneClassifier
from mmdepthsr.registry import MODELS
from mmdepthsr.structures import DenseDataSample

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(__file__))))
ENC = dict(type='SceneNetEncoder')


def _samples(h=12, w=16, labels=(0, 1), holes=True):
    gen = torch.Generator().manual_seed(0)
    out = []
    for label in labels:
        sample = DenseDataSample(
            metainfo=dict(
                img_shape=(h, w),
                ori_shape=(h, w),
                img_path='x.png',
                scene_type=label,
            )
        )
        depth = torch.rand(1, h, w, generator=gen) * 4 + 0.5
        if holes:
            depth[0, 0, :3] = 0
        sample.gt_depth = PixelData(data=depth)
        out.append(sample)
    return out


def test_autoencoder_loss_ignores_image_and_holes():
    torch.manual_seed(0)
    model = DepthAutoEncoder(encoder=ENC)
    samples = _samples()
    depth = torch.stack([s.gt_depth.data for s in samples])
    losses = model(torch.rand(2, 3, 12, 16), samples, mode='loss')
    other = model(torch.zeros(2, 3, 12, 16), samples, mode='loss')
    assert losses['loss_depth_rec'].item() == pytest.approx(
        other['loss_depth_rec'].item()
    )
    recon = model.reconstruct(depth)
    valid = depth > 0
    expected = (recon - depth).abs()[valid].mean()
    assert losses['loss_depth_rec'].item() == pytest.approx(expected.item())
    losses['loss_depth_rec'].backward()
    assert model.encoder.layers.conv1_1[0].weight.grad.abs().sum() > 0
    assert model.decoder.out_conv.weight.grad.abs().sum() > 0


def test_autoencoder_predict():
    model = DepthAutoEncoder(encoder=ENC, min_depth=0.01).eval()
    samples = _samples(h=13, w=17)
    with torch.no_grad():
        out = model(torch.rand(2, 3, 13, 17), samples, mode='predict')
    for sample in out:
        assert sample.pred_depth.data.shape == (1, 13, 17)
        assert (sample.pred_depth.data >= 0.01).all()
    assert model(None, samples, mode='tensor').shape == (2, 1, 13, 17)
    with pytest.raises(ValueError, match='gt_depth'):
        model.loss(torch.rand(1, 3, 8, 8), [])


def test_autoencoder_vgg_deepest_layer():
    model = DepthAutoEncoder(encoder=dict(type='DepthVGGEncoder'))
    assert model.layer == 'relu3_3'
    assert model(None, _samples(h=16, w=16), mode='tensor').shape == (
        2,
        1,
        16,
        16,
    )


def test_classifier_loss_value_and_labels():
    torch.manual_seed(0)
    model = DepthSceneClassifier(
        encoder=ENC,
        num_classes=3,
        classes=('kitchen', 'office'),
        other_class=2,
    )
    samples = _samples(labels=('office', 'bathroom'))
    losses = model(None, samples, mode='loss')
    depth = torch.stack([s.gt_depth.data for s in samples])
    logits = model(None, samples, mode='tensor')
    assert logits.shape == (2, 3)
    feats = model.encoder(depth)[-1].mean(dim=(2, 3))
    assert torch.allclose(logits, model.fc(feats), atol=1e-6)
    expected = torch.nn.functional.cross_entropy(logits, torch.tensor([1, 2]))
    assert losses['loss_depth_scene'].item() == pytest.approx(expected.item())
    losses['loss_depth_scene'].backward()
    assert model.fc.weight.grad.abs().sum() > 0


def test_classifier_predict_and_errors():
    model = DepthSceneClassifier(encoder=ENC, num_classes=4).eval()
    with torch.no_grad():
        out = model(None, _samples(labels=(3, 0)), mode='predict')
    for sample in out:
        assert 0 <= sample.pred_scene_label < 4
        assert sum(sample.pred_scene_scores) == pytest.approx(1.0)
    with pytest.raises(ValueError, match='outside'):
        model.loss(None, _samples(labels=(4, 0)))
    with pytest.raises(ValueError, match='not one of'):
        model.loss(None, _samples(labels=('kitchen', 0)))
    samples = _samples()
    for s in samples:
        del s.scene_type
    with pytest.raises(KeyError, match='scene_type'):
        model.loss(None, samples)
    with pytest.raises(ValueError, match='num_classes'):
        DepthSceneClassifier(encoder=ENC, num_classes=1)


def test_classifier_config_steps():
    name = 'heg-cls_scenenet_1xb8-10k_nyu-416x544.py'
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'cliffnet', name))
    assert 'scene_type' in cfg.train_dataloader.dataset.pipeline[-1].meta_keys
    model = MODELS.build(cfg.model).train()
    samples = _samples(h=16, w=20, labels=('kitchen', 'basement'))
    data = model.data_preprocessor(
        dict(
            inputs=[torch.zeros(3, 16, 20, dtype=torch.uint8)] * 2,
            data_samples=samples,
        ),
        True,
    )
    losses = model(**data, mode='loss')
    assert torch.isfinite(losses['loss_depth_scene'])
    losses['loss_depth_scene'].backward()
