"""Tests of NormalMetric and its functional core, on hand-computed values."""

import json
import math
import pickle

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.structures import PixelData

from mmdepthsr.evaluation.metrics import (
    NORMAL_METRIC_KEYS,
    NormalMetric,
    SegMetric,
    normal_angles,
    normal_scores,
)
from mmdepthsr.registry import METRICS
from mmdepthsr.structures import DenseDataSample

BIN = 0.01  # default median bin width: median within BIN / 2 of exact
TOL = BIN / 2 + 1e-9

# A 1 x 4 image. GT faces the camera (0, 0, -1), given un-normalised
# (-3, -1) in two pixels; the last pixel is the invalid zero vector.
# Predictions (un-normalised): (0, 0, -2) -> 0 deg, (1, 0, 0) -> 90 deg,
# (1, 0, -1) -> 45 deg; the invalid pixel's prediction (0) is not looked at.
#   mean = 45, median = 45, rmse = sqrt((0 + 8100 + 2025) / 3)
#   = sqrt(3375) = 58.09475019311125; 11.25 / 22.5 / 30: 1 of 3 = 33.33 %
GT_4 = [[0, 0, 0, 0], [0, 0, 0, 0], [-3, -1, -1, 0]]
PRED_4 = [[0, 1, 1, 0], [0, 0, 0, 0], [-2, 0, -1, 0]]


def directions(angles_deg):
    """(3, 1, N) predictions at the given angles from GT (0, 0, -1)."""
    rad = np.radians(angles_deg)
    return np.stack([np.sin(rad), np.zeros_like(rad), -np.cos(rad)])[:, None]


def facing(n):
    """(3, 1, N) ground truth facing the camera."""
    return np.tile(np.array([0.0, 0.0, -1.0])[:, None, None], (1, 1, n))


def make_data_sample(pred, gt, img_path='rooms/0000.png'):
    # float64 keeps the hand-computed angles exact to ~1e-12 degrees.
    sample = DenseDataSample(metainfo=dict(img_path=img_path))
    pred = torch.as_tensor(np.asarray(pred, dtype=np.float64))
    gt = torch.as_tensor(np.asarray(gt, dtype=np.float64))
    sample.pred_normal = PixelData(
        data=pred if pred.ndim == 3 else pred[:, None]
    )
    sample.gt_normal = PixelData(data=gt if gt.ndim == 3 else gt[:, None])
    return sample


def make_sample(pred, gt, img_path='rooms/0000.png'):
    """A model output as the evaluator receives it (a dict)."""
    return make_data_sample(pred, gt, img_path).to_dict()


def run_metric(metric, samples):
    metric.process(None, samples)
    return metric.evaluate(len(samples))


def test_known_angles_zero_gt_excluded_and_normalisation():
    metric = NormalMetric()
    metric.process(None, [make_sample(PRED_4, GT_4)])
    assert metric.results[0]['num_valid'] == 3
    result = metric.evaluate(1)
    assert set(result) == set(NORMAL_METRIC_KEYS)
    assert result['mean'] == pytest.approx(45.0, abs=1e-9)
    assert result['median'] == pytest.approx(45.0, abs=TOL)
    assert result['rmse'] == pytest.approx(58.09475019311125, abs=1e-9)
    for key in ('11.25', '22.5', '30'):
        assert result[key] == pytest.approx(100 / 3)
    angles = normal_angles(
        np.array(PRED_4, float)[:, :3].T, np.array(GT_4, float)[:, :3].T
    )
    assert angles == pytest.approx([0.0, 90.0, 45.0], abs=1e-9)
    # float32 maps (the DenseDataSample dtype) agree to ~1e-5 degrees.
    sample = make_data_sample(PRED_4, GT_4)
    sample.pred_normal = PixelData(data=sample.pred_normal.data.float())
    sample.gt_normal = PixelData(data=sample.gt_normal.data.float())
    result32 = run_metric(NormalMetric(), [sample.to_dict()])
    assert result32['mean'] == pytest.approx(45.0, abs=1e-4)
    assert result32['30'] == pytest.approx(100 / 3)


def test_thresholds_and_median():
    # Angles 10, 20, 25, 40: below 11.25 -> 1, below 22.5 -> 2, below 30
    # -> 3 of 4; mean = 23.75; rmse = sqrt((100 + 400 + 625 + 1600) / 4)
    # = sqrt(681.25) = 26.100766272276374; median = (20 + 25) / 2 = 22.5.
    result = run_metric(
        NormalMetric(), [make_sample(directions([10, 20, 25, 40]), facing(4))]
    )
    assert result['11.25'] == 25.0
    assert result['22.5'] == 50.0
    assert result['30'] == 75.0
    assert result['mean'] == pytest.approx(23.75, abs=1e-9)
    assert result['rmse'] == pytest.approx(26.100766272276374, abs=1e-9)
    assert result['median'] == pytest.approx(22.5, abs=TOL)
    exact = normal_scores([10, 20, 25, 40])
    assert exact['median'] == 22.5 and exact['30'] == 75.0
    # The threshold is strict: an angle of exactly 30 is not below 30.
    assert normal_scores([30.0])['30'] == 0.0


def test_pooled_median_matches_exact_median_within_bin():
    rng = np.random.default_rng(0)
    samples, preds, gts = [], [], []
    for i, (h, w) in enumerate([(7, 9), (5, 6), (8, 8)]):
        gt = rng.normal(size=(3, h, w))
        gt[:, rng.random((h, w)) < 0.2] = 0.0  # invalid pixels
        pred = gt + rng.normal(scale=0.4, size=(3, h, w))
        samples.append(make_sample(pred, gt, f'{i}.png'))
        valid = np.linalg.norm(gt, axis=0) > 0
        preds.append(pred[:, valid].T)
        gts.append(gt[:, valid].T)
    all_angles = normal_angles(np.concatenate(preds), np.concatenate(gts))
    exact = normal_scores(all_angles)
    result = run_metric(NormalMetric(), samples)
    assert result['median'] == pytest.approx(exact['median'], abs=TOL)
    for key in ('mean', 'rmse', '11.25', '22.5', '30'):
        assert result[key] == pytest.approx(exact[key], rel=1e-12), key
    # Odd count, coarse bins: bin width 1 degree -> within 0.5 degree.
    coarse = run_metric(NormalMetric(median_bin_width=1.0), samples)
    assert abs(coarse['median'] - exact['median']) <= 0.5 + 1e-9


def test_coarse_bin_median_resolution():
    # Angles 10.2 and 10.7 share the 1-degree bin [10, 11): the pooled
    # median is the bin centre 10.5, exact is 10.45 (error 0.05 <= 0.5).
    samples = [make_sample(directions([10.2, 10.7]), facing(2))]
    result = run_metric(NormalMetric(median_bin_width=1.0), samples)
    assert result['median'] == pytest.approx(10.5)
    assert result['mean'] == pytest.approx(10.45)


def test_pooled_not_averaged_per_image():
    # Image a: one pixel at 90 deg; image b: three pixels at 0 deg.
    # Pooled (returned): mean = 90 / 4 = 22.5, 11.25 -> 3 of 4 = 75 %,
    # median of (0, 0, 0, 90) = 0. Per-image average would be mean 45.
    samples = [
        make_sample(directions([90]), facing(1), 'a.png'),
        make_sample(directions([0, 0, 0]), facing(3), 'b.png'),
    ]
    result = run_metric(NormalMetric(), samples)
    assert result['mean'] == pytest.approx(22.5)
    assert result['11.25'] == 75.0
    assert result['median'] == pytest.approx(0.0, abs=TOL)
    # A perfect prediction: the bin centre 0.005 is clamped to the largest
    # angle, so the median is exactly 0.
    perfect = run_metric(
        NormalMetric(), [make_sample(directions([0, 0, 0]), facing(3))]
    )
    assert perfect['median'] == 0.0 and perfect['rmse'] == 0.0
    assert result['rmse'] == pytest.approx(math.sqrt(8100 / 4))


def test_mask_key_restricts_pixels():
    sample = make_data_sample(directions([0, 90]), facing(2), 'm.png')
    sample.normal_mask = PixelData(data=torch.tensor([[[1, 0]]]))
    result = run_metric(NormalMetric(mask_key='normal_mask'), [sample])
    assert result['mean'] == pytest.approx(0.0, abs=1e-9)
    assert result['11.25'] == 100.0
    with pytest.raises(KeyError, match=r'm\.png.*normal_mask'):
        NormalMetric(mask_key='normal_mask').process(
            None, [make_sample(directions([0]), facing(1), 'm.png')]
        )


def test_bad_predictions_name_the_file():
    # A zero predicted vector on a valid pixel.
    pred = directions([0, 0])
    pred[:, 0, 1] = 0.0
    with pytest.raises(ValueError, match=r'z\.png.*1 zero vector'):
        NormalMetric().process(None, [make_sample(pred, facing(2), 'z.png')])
    pred[:, 0, 1] = np.nan
    with pytest.raises(ValueError, match=r'n\.png.*NaN/inf'):
        NormalMetric().process(None, [make_sample(pred, facing(2), 'n.png')])
    with pytest.raises(ValueError, match=r's\.png.*\(3, 1, 3\).*\(3, 1, 2\)'):
        NormalMetric().process(
            None, [make_sample(directions([0, 0, 0]), facing(2), 's.png')]
        )
    with pytest.raises(ValueError, match=r'c\.png.*\(3, H, W\)'):
        NormalMetric().process(
            None, [make_sample(np.zeros((2, 1, 2)), facing(2), 'c.png')]
        )


def test_empty_images_and_argument_checks():
    empty = make_sample(directions([5]), np.zeros((3, 1, 1)), 'e.png')
    metric = NormalMetric()
    result = run_metric(
        metric, [empty, make_sample(directions([20]), facing(1))]
    )
    assert result['mean'] == pytest.approx(20.0)
    assert metric.num_empty == 1
    with pytest.raises(ValueError, match='no valid pixel'):
        run_metric(NormalMetric(), [empty])
    with pytest.raises(ValueError, match='median_bin_width'):
        NormalMetric(median_bin_width=0)


def test_bounded_storage_and_merge_across_ranks():
    rng = np.random.default_rng(1)
    gt = rng.normal(size=(3, 40, 50))
    pred = rng.normal(size=(3, 40, 50))
    rank0, rank1 = NormalMetric(), NormalMetric()
    rank0.process(None, [make_sample(pred, gt, 'a.png')])
    rank1.process(None, [make_sample(-pred, gt, 'b.png')])
    record = rank0.results[0]
    assert rank0.num_bins == 18000
    assert record['hist_index'].dtype == np.uint16
    assert record['hist_index'].size <= record['num_valid'] == 2000
    assert int(record['hist_count'].sum()) == 2000
    gathered = pickle.loads(pickle.dumps(rank0.results + rank1.results))
    merged = NormalMetric().compute_metrics(gathered)
    # -pred turns every angle e into 180 - e: pooled mean is exactly 90.
    assert merged['mean'] == pytest.approx(90.0, abs=1e-9)
    assert merged['median'] == pytest.approx(90.0, abs=TOL)


def test_protocol_and_output_file(tmp_path):
    out = tmp_path / 'sub' / 'normal.json'
    metric = NormalMetric(output_file=str(out))
    protocol = metric.protocol
    assert protocol['averaging'] == 'pooled over all valid pixels of the set'
    assert protocol['median_bin_width'] == 0.01
    assert protocol['median_max_error'] == 0.005
    assert protocol['units'].startswith('degrees')
    result = run_metric(
        metric,
        [
            make_sample(directions([90]), facing(1), 'a.png'),
            make_sample(directions([0, 0, 0]), facing(3), 'b.png'),
        ],
    )
    content = json.loads(out.read_text())
    assert content['protocol'] == json.loads(json.dumps(protocol))
    assert content['metrics'] == pytest.approx(result)
    assert content['num_valid_pixels'] == 4
    assert [p['mean'] for p in content['per_image']] == pytest.approx(
        [90.0, 0.0], abs=1e-9
    )


def test_evaluator_with_seg_and_normal_metrics():
    seg = METRICS.build(dict(type='SegMetric', num_classes=2))
    normal = METRICS.build(dict(type='NormalMetric'))
    assert isinstance(seg, SegMetric) and isinstance(normal, NormalMetric)
    evaluator = Evaluator([seg, normal])
    samples = []
    for i, angles in enumerate(([0, 90], [45, 45])):
        sample = make_data_sample(directions(angles), facing(2), f'{i}.png')
        sample.gt_sem_seg = PixelData(data=torch.tensor([[[0, 1]]]))
        sample.pred_sem_seg = PixelData(data=torch.tensor([[[0, 0]]]))
        samples.append(sample)
    for sample in samples:  # DenseDataSamples, turned into dicts inside
        evaluator.process(data_samples=[sample], data_batch=None)
    result = evaluator.evaluate(2)
    assert set(result) == {'aAcc', 'mAcc', 'mIoU', 'fwIoU'} | set(
        NORMAL_METRIC_KEYS
    )
    # Seg: class 0 I=2, U=4 -> 50 %; class 1 I=0, U=2 -> 0 % -> mIoU 25.
    assert result['mIoU'] == pytest.approx(25.0)
    assert result['aAcc'] == pytest.approx(50.0)
    # Normals: angles (0, 90, 45, 45) -> mean 45, median 45, 30 -> 25 %.
    assert result['mean'] == pytest.approx(45.0, abs=1e-9)
    assert result['median'] == pytest.approx(45.0, abs=TOL)
    assert result['30'] == 25.0
