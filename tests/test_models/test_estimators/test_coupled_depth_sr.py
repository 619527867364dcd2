"""CoupledDepthSR (v1): branch inputs, loss coupling in metres, both
outputs at test time (whole and tiled)."""

import pytest
import torch
import torch.nn as nn
from mmengine.structures import PixelData

from mmdepthsr.models.estimators import BaseGuidedSREstimator
from mmdepthsr.models.estimators.base import BaseDenseEstimator
from mmdepthsr.models.losses import L1Loss
from mmdepthsr.registry import MODELS
from mmdepthsr.structures import DenseDataSample


@MODELS.register_module(force=True)
class _ToySR(BaseGuidedSREstimator):
    """Nearest upsampling of the LR depth plus a learned constant times the
    mean of the (normalised) image."""

    def __init__(self, scale_factor, **kwargs):
        super().__init__(scale_factor=scale_factor, **kwargs)
        self.gain = nn.Parameter(torch.tensor(0.5))
        self.seen = None

    def forward_sr(self, img, lr_depth):
        self.seen = img
        up = nn.functional.interpolate(
            lr_depth, scale_factor=self.scale_factor
        )
        return up + self.gain * img.mean(1, keepdim=True) * 0


@MODELS.register_module(force=True)
class _ToyMDE(BaseDenseEstimator):
    """A constant depth map (learned), with an L1 loss_decode."""

    def __init__(self, data_preprocessor=None):
        super().__init__(data_preprocessor=data_preprocessor)
        self.value = nn.Parameter(torch.tensor(0.25))
        self.loss_decode = nn.ModuleList([L1Loss()])
        self.loss_names = ['loss_l1']
        self.seen = None

    def forward_depth(self, img):
        self.seen = img
        return self.value.expand(img.shape[0], 1, *img.shape[-2:])

    def loss(self, inputs, data_samples):
        raise NotImplementedError

    def predict(self, inputs, data_samples=None):
        raise NotImplementedError

    def _forward(self, inputs, data_samples=None):
        return self.forward_depth(inputs)


def _model(**kwargs):
    return MODELS.build(
        dict(
            type='CoupledDepthSR',
            scale_factor=2,
            sr_model=dict(
                type='_ToySR',
                scale_factor=2,
                data_preprocessor=dict(
                    type='DenseDataPreprocessor',
                    mean=[0.0] * 3,
                    std=[255.0] * 3,
                ),
            ),
            mde_model=dict(
                type='_ToyMDE',
                data_preprocessor=dict(
                    type='DenseDataPreprocessor',
                    mean=[10.0, 20.0, 30.0],
                    std=[1.0] * 3,
                    bgr_to_rgb=True,
                ),
            ),
            **kwargs,
        )
    )


def _batch(model, norm_max=4.0):
    img = torch.arange(3 * 4 * 4, dtype=torch.uint8).view(3, 4, 4)
    gt = torch.full((1, 4, 4), 2.0)
    sample = DenseDataSample(
        metainfo=dict(
            img_shape=(4, 4),
            ori_shape=(4, 4),
            scale_factor=2,
            depth_norm_min=0.0,
            depth_norm_max=norm_max,
            img_path='toy.png',
        )
    )
    sample.gt_depth = PixelData(data=gt)
    # LR in normalised units: 1.5 m / 4 m
    sample.lr_depth = PixelData(data=torch.full((1, 2, 2), 1.5 / norm_max))
    return model.data_preprocessor(
        dict(inputs=[img], data_samples=[sample]), True
    )


def test_branch_inputs_and_losses():
    model = _model(loss_weights=dict(cons=0.5))
    data = _batch(model)
    losses = model(**data, mode='loss')
    raw = data['inputs']
    # each branch normalises the raw image as its own preprocessor says
    torch.testing.assert_close(model.sr_model.seen, raw / 255)
    mean = torch.tensor([10.0, 20.0, 30.0]).view(1, 3, 1, 1)
    torch.testing.assert_close(model.mde_model.seen, raw[:, [2, 1, 0]] - mean)
    # metres: SR = 1.5 m, MDE = 0.25 * 4 = 1 m, GT = 2 m
    assert set(losses) == {'loss_sr', 'loss_mde_l1', 'loss_consistency'}
    assert losses['loss_sr'].item() == pytest.approx(0.5)
    assert losses['loss_mde_l1'].item() == pytest.approx(1.0)
    assert losses['loss_consistency'].item() == pytest.approx(0.5 * 0.5)
    sum(losses.values()).backward()
    # consistency pulls the MDE value up: d/dv of |1.5 - 4v| * 0.5 * 4
    # plus the estimation term |2 - 4v| -> -4 - 2 = -6
    assert float(model.mde_model.value.grad) == pytest.approx(-6.0)


def test_branch_inputs_equal_reference_normalisation():
    """Each branch sees the raw batch normalised as before the preprocessor
    had ``normalize`` (channel swap, then ``(x - mean) / std``)."""
    model = _model()
    gen = torch.Generator().manual_seed(0)
    raw = torch.randint(0, 256, (2, 3, 4, 4), generator=gen).float()
    model.forward_test(raw, torch.rand(2, 1, 2, 2, generator=gen))
    for branch in (model.sr_model, model.mde_model):
        pre = branch.data_preprocessor
        img = raw[:, [2, 1, 0]] if pre.bgr_to_rgb else raw
        assert torch.equal(branch.seen, (img - pre.mean) / pre.std)


@pytest.mark.parametrize(
    'test_cfg',
    [
        dict(mode='whole'),
        dict(mode='slide', patch_size=(2, 2), normalize='max'),
    ],
)
def test_predict_writes_both(test_cfg):
    model = _model(test_cfg=test_cfg).eval()
    data = _batch(model)
    with torch.no_grad():
        (result,) = model(**data, mode='predict')
    torch.testing.assert_close(
        result.pred_sr_depth.data, torch.full((1, 4, 4), 1.5)
    )
    # the MDE output is in the normalised units of its input
    expected = 0.25 * (4.0 if test_cfg['mode'] == 'whole' else 1.5)
    torch.testing.assert_close(
        result.pred_depth.data, torch.full((1, 4, 4), expected)
    )


def test_errors():
    with pytest.raises(ValueError, match='must not normalise'):
        _model(
            data_preprocessor=dict(
                type='DenseDataPreprocessor', mean=[0.0] * 3, std=[1.0] * 3
            )
        )
    with pytest.raises(KeyError, match='unknown loss_weights'):
        _model(loss_weights=dict(sr=1.0))
    with pytest.raises(ValueError, match='scale_factor'):
        MODELS.build(
            dict(
                type='CoupledDepthSR',
                scale_factor=4,
                sr_model=dict(type='_ToySR', scale_factor=2),
                mde_model=dict(type='_ToyMDE'),
            )
        )
