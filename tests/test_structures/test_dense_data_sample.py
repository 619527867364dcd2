import pytest
import torch
from mmengine.structures import PixelData

from mmdepthsr.models.estimators import BaseDenseEstimator
from mmdepthsr.structures import PIXEL_FIELDS, DenseDataSample


def test_fields_are_typed_and_deletable():
    sample = DenseDataSample(metainfo=dict(img_shape=(2, 3)))
    for name in PIXEL_FIELDS:
        setattr(sample, name, PixelData(data=torch.zeros(1, 2, 3)))
        assert name in sample
    with pytest.raises(AssertionError):
        sample.gt_depth = torch.zeros(1, 2, 3)
    del sample.pred_depth
    assert 'pred_depth' not in sample
    assert set(sample.to_dict()) == set(PIXEL_FIELDS) - {'pred_depth'} | {
        'img_shape'
    }


class _Constant(BaseDenseEstimator):
    def loss(self, inputs, data_samples):
        return {}

    def predict(self, inputs, data_samples=None):
        samples = self.ensure_samples(inputs, data_samples)
        n, _, h, w = inputs.shape
        pred = torch.arange(h * w, dtype=torch.float).view(1, 1, h, w)
        return self.postprocess_dense(
            pred.expand(n, 1, h, w), samples, 'pred_depth', mode='nearest'
        )

    def _forward(self, inputs, data_samples=None):
        return inputs


def test_postprocess_cuts_padding_and_resizes_to_gt():
    model = _Constant()
    sample = DenseDataSample(
        metainfo=dict(
            img_shape=(2, 3), batch_input_shape=(4, 4), ori_shape=(2, 3)
        )
    )
    sample.gt_depth = PixelData(data=torch.ones(1, 4, 6))
    out = model.predict(torch.zeros(1, 3, 4, 4), [sample])[0]
    # the 2 x 3 image part of [[0..3], [4..7], ...] upsampled x2 (nearest)
    expected = torch.tensor([[0.0, 1.0, 2.0], [4.0, 5.0, 6.0]])
    expected = expected.repeat_interleave(2, 0).repeat_interleave(2, 1)
    assert torch.equal(out.pred_depth.data[0], expected)


def test_predict_without_samples_uses_input_size():
    out = _Constant().predict(torch.zeros(2, 3, 5, 7))
    assert len(out) == 2 and out[1].pred_depth.shape == (5, 7)
    with pytest.raises(RuntimeError, match='Invalid mode'):
        _Constant()(torch.zeros(1, 3, 2, 2), mode='bogus')
