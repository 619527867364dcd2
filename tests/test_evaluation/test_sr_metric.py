"""Tests of SRMetric and its functional core, on hand-computed values."""

import json
import math

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.structures import PixelData

from mmdepthsr.evaluation.metrics import (
    SR_METRIC_KEYS,
    DepthMetric,
    SRMetric,
    sr_errors,
    sr_eval_mask,
)
from mmdepthsr.registry import METRICS
from mmdepthsr.structures import DenseDataSample


def make_sample(pred, gt, img_path='nyu/1000.png', pred_key='pred_sr_depth'):
    """A model output as the evaluator receives it (a dict)."""
    sample = DenseDataSample(metainfo=dict(img_path=img_path))
    sample.gt_depth = PixelData(
        data=torch.as_tensor(np.asarray(gt, np.float32))[None]
    )
    setattr(
        sample,
        pred_key,
        PixelData(data=torch.as_tensor(np.asarray(pred, np.float32))[None]),
    )
    return sample.to_dict()


def checker_pair(hole=False):
    """A 10 x 12 GT of 2 m and a prediction with a known error pattern.

    Outside a 2-pixel border the prediction is 0.5 m off (must be ignored).
    Inside (rows 2..7, cols 2..9: 6 x 8 = 48 pixels) it is +1 cm where
    row + col is even and -3 cm where it is odd (24 pixels each). With
    ``hole``, GT pixel (4, 5) (odd: a -3 cm pixel) is 0 and the prediction
    there is 1 m.
    """
    gt = np.full((10, 12), 2.0)
    pred = gt + 0.5
    rows, cols = np.mgrid[2:8, 2:10]
    even = (rows + cols) % 2 == 0
    pred[2:8, 2:10] = np.where(even, 2.01, 1.97)
    if hole:
        gt[4, 5] = 0.0
        pred[4, 5] = 1.0
    return pred, gt


def test_sr_eval_mask_border_and_valid_rule():
    gt = np.ones((10, 12))
    gt[0, 0] = 0
    gt[5, 5] = 0
    mask = sr_eval_mask(gt, border=2)
    assert mask.sum() == 6 * 8 - 1
    assert not mask[:2].any() and not mask[-2:].any()
    assert not mask[:, :2].any() and not mask[:, -2:].any()
    assert not mask[5, 5]
    assert sr_eval_mask(gt, border=2, valid='all').sum() == 48
    assert sr_eval_mask(gt, border=0, valid='all').all()
    with pytest.raises(ValueError, match='leaves nothing'):
        sr_eval_mask(gt, border=5)


def test_sr_errors_hand_values():
    # errors 3 and -4 -> rmse = sqrt(25 / 2), mad = 3.5; x100 for cm
    out = sr_errors([1.0, 5.0], [4.0, 1.0])
    assert out['rmse'] == pytest.approx(math.sqrt(12.5))
    assert out['mad'] == pytest.approx(3.5)
    out = sr_errors(torch.tensor([1.0, 5.0]), np.array([4.0, 1.0]), 100.0)
    assert out['rmse'] == pytest.approx(100 * math.sqrt(12.5))
    with pytest.raises(ValueError, match='no pixel'):
        sr_errors([], [])


def test_nyu_protocol_cm_border_per_image_mean():
    metric = SRMetric(border=2, unit='cm')
    pred, gt = checker_pair()
    pred_h, gt_h = checker_pair(hole=True)
    metric.process(None, [make_sample(pred, gt, 'a.png')])
    metric.process(None, [make_sample(pred_h, gt_h, 'b.png')])
    result = metric.evaluate(2)
    # image a: 24 x (1 cm)^2 + 24 x (3 cm)^2 over 48 -> rmse sqrt(5), mad 2
    # image b: the hole drops one -3 cm pixel: 47 pixels
    rmse_b = math.sqrt((24 * 1 + 23 * 9) / 47)
    mad_b = (24 * 1 + 23 * 3) / 47
    assert result['rmse'] == pytest.approx((math.sqrt(5) + rmse_b) / 2)
    assert result['mad'] == pytest.approx((2 + mad_b) / 2)
    assert set(result) == set(SR_METRIC_KEYS)


def test_all_pixels_counts_the_hole_and_units_scale():
    pred, gt = checker_pair(hole=True)
    metric = SRMetric(border=2, unit='cm', valid='all')
    metric.process(None, [make_sample(pred, gt)])
    result = metric.evaluate(1)
    # the hole pixel: |0 - 1 m| = 100 cm
    assert result['rmse'] == pytest.approx(
        math.sqrt((24 * 1 + 23 * 9 + 100**2) / 48)
    )
    assert result['mad'] == pytest.approx((24 + 23 * 3 + 100) / 48)
    pred, gt = checker_pair()
    for unit, factor in (('m', 0.01), ('mm', 10.0)):
        metric = SRMetric(border=2, unit=unit)
        metric.process(None, [make_sample(pred, gt)])
        result = metric.evaluate(1)
        assert result['rmse'] == pytest.approx(math.sqrt(5) * factor)
        assert result['mad'] == pytest.approx(2 * factor)


def test_border_zero_takes_the_outer_ring():
    pred, gt = checker_pair()
    metric = SRMetric(border=0, unit='cm')
    metric.process(None, [make_sample(pred, gt)])
    # 120 pixels: 72 on the ring at 50 cm, 24 at 1 cm, 24 at 3 cm
    result = metric.evaluate(1)
    assert result['rmse'] == pytest.approx(
        math.sqrt((72 * 2500 + 24 + 24 * 9) / 120)
    )
    assert result['mad'] == pytest.approx((72 * 50 + 24 + 72) / 120)


def test_middlebury_raw_with_uint8_quantisation():
    gt = np.array([[10, 20, 30], [255, 11, 12]], np.float32)
    pred = np.array([[10.4, 20.6, -3.0], [300.0, 10.5, 11.5]], np.float32)
    # rint (half to even) and clip: [[10, 21, 0], [255, 10, 12]]
    # errors 0, 1, 30, 0, 1, 0 -> rmse sqrt(902 / 6), mad 32 / 6
    metric = SRMetric(border=0, unit='raw', quantize='uint8')
    metric.process(None, [make_sample(pred, gt, 'Art/disp1.png')])
    result = metric.evaluate(1)
    assert result['rmse'] == pytest.approx(math.sqrt(902 / 6))
    assert result['mad'] == pytest.approx(32 / 6)
    # without quantisation: 0.4, 0.6, 33, 45, 0.5, 0.5
    metric = SRMetric(border=0, unit='raw')
    metric.process(None, [make_sample(pred, gt)])
    result = metric.evaluate(1)
    errors = np.array([0.4, 0.6, 33, 45, 0.5, 0.5])
    assert result['rmse'] == pytest.approx(
        math.sqrt(np.mean(errors**2)), rel=1e-6
    )
    assert result['mad'] == pytest.approx(errors.mean(), rel=1e-6)


def test_errors_name_the_image():
    pred, gt = checker_pair()
    metric = SRMetric(border=2)
    bad = pred.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match=r'x\.png.*NaN/inf'):
        metric.process(None, [make_sample(bad, gt, 'x.png')])
    with pytest.raises(ValueError, match=r'x\.png.*shape'):
        metric.process(None, [make_sample(pred[:, :10], gt, 'x.png')])
    with pytest.raises(ValueError, match=r'x\.png.*border of 6'):
        SRMetric(border=6).process(None, [make_sample(pred, gt, 'x.png')])
    with pytest.raises(ValueError, match=r'x\.png.*no gt_depth pixel'):
        metric.process(None, [make_sample(pred, 0 * gt, 'x.png')])
    with pytest.raises(KeyError, match=r'x\.png.*pred_sr_depth'):
        metric.process(
            None, [make_sample(pred, gt, 'x.png', pred_key='pred_depth')]
        )


def test_skip_empty_images():
    pred, gt = checker_pair()
    metric = SRMetric(border=2, on_empty='skip')
    metric.process(None, [make_sample(pred, 0 * gt, 'empty.png')])
    metric.process(None, [make_sample(pred, gt, 'full.png')])
    result = metric.evaluate(2)
    assert result['rmse'] == pytest.approx(math.sqrt(5))
    assert metric.num_skipped == 1
    metric.process(None, [make_sample(pred, 0 * gt, 'empty.png')])
    with pytest.raises(ValueError, match='no image to average'):
        metric.evaluate(1)


def test_argument_errors():
    with pytest.raises(ValueError, match='unit'):
        SRMetric(unit='inch')
    with pytest.raises(ValueError, match='border'):
        SRMetric(border=-1)
    with pytest.raises(ValueError, match='valid'):
        SRMetric(valid='gt>=0')
    with pytest.raises(ValueError, match='quantize'):
        SRMetric(quantize='uint16')
    with pytest.raises(ValueError, match='unit="raw"'):
        SRMetric(quantize='uint8', unit='cm')


def test_output_file_records_protocol(tmp_path):
    out = tmp_path / 'sub' / 'sr.json'
    metric = METRICS.build(
        dict(type='SRMetric', border=2, unit='cm', output_file=str(out))
    )
    pred, gt = checker_pair()
    metric.process(None, [make_sample(pred, gt, 'a.png')])
    metric.evaluate(1)
    content = json.loads(out.read_text())
    assert content['metrics']['rmse'] == pytest.approx(math.sqrt(5))
    assert content['num_images'] == 1
    assert content['per_image'][0]['img_path'] == 'a.png'
    assert content['per_image'][0]['num_valid'] == 48
    protocol = content['protocol']
    assert protocol['border'] == 2
    assert protocol['unit'] == 'cm'
    assert protocol['averaging'] == 'per-image mean'
    assert protocol['quantize'] is None
    assert protocol['valid_mask'] == 'gt > 0 inside the border'
    assert protocol == SRMetric(border=2, unit='cm').protocol


def test_plain_keys_clash_with_depth_metric_unless_prefixed():
    pred, gt = checker_pair()
    sample = make_sample(pred, gt)
    sample['pred_depth'] = sample['pred_sr_depth']
    evaluator = Evaluator([DepthMetric(), SRMetric(border=2)])
    evaluator.process(data_samples=[sample], data_batch=None)
    with pytest.raises(ValueError, match='rmse'):
        evaluator.evaluate(1)
    evaluator = Evaluator([DepthMetric(), SRMetric(border=2, prefix='sr')])
    evaluator.process(data_samples=[sample], data_batch=None)
    result = evaluator.evaluate(1)
    assert result['sr/rmse'] == pytest.approx(math.sqrt(5))
    # DepthMetric: metres, no border (72 ring pixels 0.5 m off)
    assert result['rmse'] == pytest.approx(
        math.sqrt((72 * 0.25 + 24 * 0.01**2 + 24 * 0.03**2) / 120), rel=1e-5
    )


def test_clip_to_grey_levels_clips_prediction_and_gt():
    # Middlebury / Lu protocol: both maps clipped to [0, 255], no rounding
    gt = np.array([[10, 20, 30], [255, 11, 12]], np.float32)
    pred = np.array([[10.4, 20.6, -3.0], [300.0, 10.5, 11.5]], np.float32)
    # clipped prediction [[10.4, 20.6, 0], [255, 10.5, 11.5]]:
    # errors 0.4, 0.6, 30, 0, 0.5, 0.5
    metric = SRMetric(border=0, unit='raw', valid='all', clip=(0, 255))
    metric.process(None, [make_sample(pred, gt, 'Middlebury_01.png')])
    result = metric.evaluate(1)
    errors = np.array([0.4, 0.6, 30.0, 0.0, 0.5, 0.5])
    assert result['rmse'] == pytest.approx(
        math.sqrt(np.mean(errors**2)), rel=1e-6
    )
    assert result['mad'] == pytest.approx(errors.mean(), rel=1e-6)
    # the ground truth is clipped too: a GT of 300 counts as 255
    metric = SRMetric(border=0, unit='raw', valid='all', clip=(0, 255))
    metric.process(None, [make_sample([[255.0]], [[300.0]], 'a.png')])
    assert metric.evaluate(1)['rmse'] == 0.0
    assert metric.protocol['clip'] == [0.0, 255.0]
    assert SRMetric().protocol['clip'] is None
    with pytest.raises(ValueError, match='low < high'):
        SRMetric(clip=(255, 0))
    with pytest.raises(ValueError, match='not both'):
        SRMetric(unit='raw', quantize='uint8', clip=(0, 255))
