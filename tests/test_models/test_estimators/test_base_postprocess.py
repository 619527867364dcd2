"""Paste-back of KB-cropped predictions (BTS KITTI evaluation) and the
metric's refusal to score pixels outside the pasted box."""

import numpy as np
import pytest
import torch
from mmengine.structures import PixelData

from mmdepthsr.datasets.transforms.formatting import PackDenseInputs
from mmdepthsr.datasets.transforms.geometric import KBCrop
from mmdepthsr.evaluation.metrics.depth_metric import DepthMetric
from mmdepthsr.models.estimators import BaseDenseEstimator
from mmdepthsr.structures import DenseDataSample


class _Ramp(BaseDenseEstimator):
    """Predicts 1 + column index of the input (metres)."""

    def loss(self, inputs, data_samples):
        return {}

    def predict(self, inputs, data_samples=None):
        samples = self.ensure_samples(inputs, data_samples)
        n, _, h, w = inputs.shape
        pred = 1.0 + torch.arange(w, dtype=torch.float).expand(n, 1, h, w)
        return self.postprocess_dense(
            pred, samples, 'pred_depth', mode='nearest'
        )

    def _forward(self, inputs, data_samples=None):
        return inputs


def _sample(box, gt_shape=(10, 16), img_shape=(4, 8), batch_shape=None):
    meta = dict(
        img_shape=img_shape,
        ori_shape=gt_shape,
        batch_input_shape=batch_shape or img_shape,
        img_path='frame.png',
    )
    if box is not None:
        meta['gt_crop_box'] = box
    sample = DenseDataSample(metainfo=meta)
    sample.gt_depth = PixelData(data=torch.full((1, *gt_shape), 5.0))
    return sample


def test_prediction_is_resized_to_the_box_and_pasted():
    sample = _sample(box=(6, 10, 4, 12))  # 4 x 8 box in a 10 x 16 frame
    out = _Ramp().predict(torch.zeros(1, 3, 4, 8), [sample])[0]
    pred = out.pred_depth.data[0]
    assert pred.shape == (10, 16)
    expected = torch.zeros(10, 16)
    expected[6:10, 4:12] = 1.0 + torch.arange(8.0)
    assert torch.equal(pred, expected)


def test_paste_after_cutting_padding_and_zooming():
    # 4 x 8 image padded to 4 x 10; the box is twice the image size
    sample = _sample(box=(2, 10, 0, 16), img_shape=(4, 8), batch_shape=(4, 10))
    out = _Ramp().predict(torch.zeros(1, 3, 4, 10), [sample])[0]
    pred = out.pred_depth.data[0]
    assert torch.equal(pred[:2], torch.zeros(2, 16))
    row = (1.0 + torch.arange(8.0)).repeat_interleave(2)
    assert torch.equal(pred[2:], row.expand(8, 16))


def test_without_gt_the_canvas_is_ori_shape_and_bad_box_raises():
    sample = _sample(box=(1, 5, 2, 10), gt_shape=(6, 12))
    del sample.gt_depth
    pred = _Ramp().predict(torch.zeros(1, 3, 4, 8), [sample])[0].pred_depth
    assert pred.shape == (6, 12) and pred.data[0, 0].sum() == 0
    with pytest.raises(ValueError, match='does not lie inside'):
        _Ramp().predict(torch.zeros(1, 3, 4, 8), [_sample(box=(0, 12, 0, 8))])


def test_kitti_bts_geometry_end_to_end():
    """KBCrop(crop_gt=False) -> pack -> paste -> Garg crop on the full GT."""
    h, w = 375, 1242
    gt = np.zeros((h, w), np.float32)
    gt[150:, :] = 20.0  # valid everywhere below row 150, also outside KB
    results = dict(
        img=np.zeros((h, w, 3), np.uint8),
        gt_depth=gt,
        img_shape=(h, w),
        ori_shape=(h, w),
        img_path='2011_09_26/x/image_02/data/0000000069.png',
        cam_intrinsics=np.array([721.5377, 721.5377, 609.5593, 172.854]),
    )
    packed = PackDenseInputs()(KBCrop(crop_gt=False)(results))
    sample = packed['data_samples']
    assert sample.gt_crop_box == (23, 375, 13, 1229)
    assert tuple(packed['inputs'].shape) == (3, 352, 1216)
    assert sample.gt_depth.shape == (375, 1242)
    inputs = packed['inputs'][None].float()
    out = _Ramp().predict(inputs, [sample])[0]
    pred = out.pred_depth.data[0]
    # column c of the KB crop is column c + 13 of the frame
    assert pred[23, 13] == 1.0 and pred[374, 1228] == 1216.0
    assert pred[:23].abs().sum() == 0 and pred[:, :13].abs().sum() == 0
    assert pred[:, 1229:].abs().sum() == 0

    metric = DepthMetric(max_depth=80.0, crop='garg')
    metric.process({}, [out.to_dict()])
    # Garg window of 375 x 1242: rows 153:371, cols 44:1197
    record = metric.results[0]
    assert record['num_valid'] == (371 - 153) * (1197 - 44)
    assert record['gt_crop_box'] == [23, 375, 13, 1229]
    metric.compute_metrics(metric.results)
    assert metric.protocol['pasted_prediction_boxes'] == {
        '375x1242': [23, 375, 13, 1229]
    }

    for crop in (None, (0.0, 1.0, 0.0, 0.5)):
        with pytest.raises(ValueError, match='covers only rows 23:375'):
            DepthMetric(max_depth=80.0, crop=crop).process({}, [out.to_dict()])


def test_metric_ignores_box_when_absent():
    sample = _sample(box=None)
    out = _Ramp().predict(torch.zeros(1, 3, 4, 8), [sample])[0]
    metric = DepthMetric(max_depth=80.0)
    metric.process({}, [out])
    assert metric.results[0]['num_valid'] == 160
    assert 'gt_crop_box' not in metric.results[0]
