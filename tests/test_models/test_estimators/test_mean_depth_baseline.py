"""MeanDepthBaseline and fit_mean_depth, checked against hand values."""

import numpy as np
import pytest
import torch
from mmengine.structures import PixelData

from mmdepthsr.models.estimators.mean_depth_baseline import (
    MeanDepthBaseline,
    fit_mean_depth,
)
from mmdepthsr.registry import MODELS
from mmdepthsr.structures import DenseDataSample

# Valid pixels {2, 4} and {1, 1, 1, 1}: pooled mean 10 / 6 (the per-image
# mean of means would be 2, which the pooled definition must not give).
DEPTH_A = np.array([[0.0, 2.0], [4.0, 0.0]], dtype=np.float32)
DEPTH_B = np.ones((2, 2), dtype=np.float32)
POOLED_MEAN = 10.0 / 6.0


def _packed(depth, **meta):
    sample = DenseDataSample(metainfo=meta)
    sample.gt_depth = PixelData(data=torch.from_numpy(depth)[None])
    return dict(inputs=torch.zeros(3, *depth.shape), data_samples=sample)


def test_fit_mean_depth_pools_valid_pixels_of_each_item_kind():
    raw = [dict(gt_depth=DEPTH_A), dict(gt_depth=DEPTH_B)]
    packed = [_packed(DEPTH_A), _packed(DEPTH_B)]
    samples = [item['data_samples'] for item in packed]
    for dataset in (raw, packed, samples, iter(raw)):
        assert fit_mean_depth(dataset) == pytest.approx(POOLED_MEAN)


def test_fit_mean_depth_errors_name_the_sample():
    with pytest.raises(ValueError, match='no valid'):
        fit_mean_depth([dict(gt_depth=np.zeros((2, 2)))])
    with pytest.raises(ValueError, match='no valid'):
        fit_mean_depth([])
    bad = DEPTH_A.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match='b.png.*NaN'):
        fit_mean_depth([_packed(DEPTH_B), _packed(bad, img_path='b.png')])
    with pytest.raises(KeyError, match='sample 1 has no `gt_depth`'):
        fit_mean_depth([dict(gt_depth=DEPTH_A), dict(img=np.zeros(3))])


def test_predict_fills_constant_at_gt_or_ori_size():
    model = MODELS.build(dict(type='MeanDepthBaseline', mean_depth=2.5))
    assert isinstance(model, MeanDepthBaseline)
    assert list(model.parameters()) == []
    with_gt = DenseDataSample(
        metainfo=dict(
            img_shape=(4, 5), ori_shape=(4, 5), batch_input_shape=(4, 6)
        )
    )
    with_gt.gt_depth = PixelData(data=torch.ones(1, 8, 10))
    no_gt = DenseDataSample(
        metainfo=dict(
            img_shape=(4, 6), ori_shape=(5, 7), batch_input_shape=(4, 6)
        )
    )
    out = model.predict(torch.zeros(2, 3, 4, 6), [with_gt, no_gt])
    assert out[0].pred_depth.data.shape == (1, 8, 10)
    assert out[1].pred_depth.data.shape == (1, 5, 7)
    for sample in out:
        assert torch.all(sample.pred_depth.data == 2.5)
    # Bare forward: (N, 1, H, W) at the input size.
    tensor = model(torch.zeros(3, 3, 2, 4), mode='tensor')
    assert tensor.shape == (3, 1, 2, 4)
    assert torch.all(tensor == 2.5)


def test_from_dataset_and_checkpoint_round_trip():
    fitted = MeanDepthBaseline.from_dataset(
        [dict(gt_depth=DEPTH_A), dict(gt_depth=DEPTH_B)]
    )
    assert fitted.mean_depth.item() == pytest.approx(POOLED_MEAN)
    empty = MeanDepthBaseline()
    with pytest.raises(RuntimeError, match='not fitted'):
        empty(torch.zeros(1, 3, 2, 2))
    empty.load_state_dict(fitted.state_dict())
    pred = empty.predict(torch.zeros(1, 3, 2, 2))[0].pred_depth.data
    assert pred.shape == (1, 2, 2)
    assert torch.allclose(pred, torch.full((1, 2, 2), POOLED_MEAN))


def test_bad_mean_and_loss_are_refused():
    for bad in (0.0, -1.0, float('inf'), float('nan')):
        with pytest.raises(ValueError, match='positive finite'):
            MeanDepthBaseline(mean_depth=bad)
    with pytest.raises(NotImplementedError, match='fit'):
        MeanDepthBaseline(mean_depth=1.0).loss(torch.zeros(1, 3, 2, 2), [])
