"""Tests of DepthMetric and its functional core, on hand-computed values."""

import json
import logging
import math

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.logging import MMLogger
from mmengine.structures import PixelData

from mmdepthsr.evaluation.metrics import (
    DEPTH_METRIC_KEYS,
    DepthMetric,
    crop_window,
    depth_errors,
    depth_eval_mask,
)
from mmdepthsr.registry import METRICS
from mmdepthsr.structures import DenseDataSample
from mmdepthsr.structures.protocols import EIGEN_NYU_CROP

# gt [[1, 2], [4, 0]], pred [[2, 2], [2, 1]]: the 0 is invalid, so the valid
# pixels are gt = (1, 2, 4), pred = (2, 2, 2), d = ln pred - ln gt =
# (ln 2, 0, -ln 2).
#   thresh = max(gt/pred, pred/gt) = (2, 1, 2): only 1 < 1.25, and 2 is not
#     below 1.25**2 = 1.5625 nor 1.25**3 = 1.953125 -> a1 = a2 = a3 = 1/3
#   abs_rel = (1/1 + 0/2 + 2/4) / 3 = 0.5
#   sq_rel = (1/1 + 0/2 + 4/4) / 3 = 2/3
#   rmse = sqrt((1 + 0 + 4) / 3) = sqrt(5/3) = 1.2909944487358056
#   rmse_log = sqrt((ln2^2 + 0 + ln2^2) / 3) = ln 2 * sqrt(2/3)
#            = 0.6931471805599453 * 0.816496580927726 = 0.5659523030068885
#   log10 = (log10 2 + 0 + log10 2) / 3 = 2 * 0.3010299956639812 / 3
#         = 0.20068666377598746
#   mean(d) = 0, so sc_inv = sqrt(mean(d^2)) = rmse_log = 0.5659523030068885
#   silog = 100 * sc_inv = 56.59523030068885
GT_2X2 = [[1.0, 2.0], [4.0, 0.0]]
PRED_2X2 = [[2.0, 2.0], [2.0, 1.0]]
EXPECTED_2X2 = dict(
    a1=1 / 3,
    a2=1 / 3,
    a3=1 / 3,
    abs_rel=0.5,
    sq_rel=2 / 3,
    rmse=1.2909944487358056,
    rmse_log=0.5659523030068885,
    log10=0.20068666377598746,
    silog=56.59523030068885,
    sc_inv=0.5659523030068885,
)


def make_sample(pred, gt, img_path='rooms/0000.png'):
    """A model output as the evaluator receives it (a dict)."""
    return make_data_sample(pred, gt, img_path).to_dict()


def make_data_sample(pred, gt, img_path='rooms/0000.png'):
    sample = DenseDataSample(metainfo=dict(img_path=img_path))
    sample.pred_depth = PixelData(
        data=torch.as_tensor(pred, dtype=torch.float32)[None]
    )
    sample.gt_depth = PixelData(
        data=torch.as_tensor(gt, dtype=torch.float32)[None]
    )
    return sample


def run_metric(metric, samples):
    metric.process(None, samples)
    return metric.evaluate(len(samples))


class _Collect(logging.Handler):
    def __init__(self, level):
        super().__init__(level=level)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _collect_log(level):
    logger = MMLogger.get_current_instance()
    handler = _Collect(level)
    logger.addHandler(handler)
    yield handler.messages
    logger.removeHandler(handler)


@pytest.fixture
def warnings_log():
    yield from _collect_log(logging.WARNING)


@pytest.fixture
def info_log():
    yield from _collect_log(logging.INFO)


def assert_metrics(result, expected):
    assert set(result) == set(DEPTH_METRIC_KEYS)
    for key, value in expected.items():
        assert result[key] == pytest.approx(value, rel=1e-6, abs=1e-9), key


def test_hand_computed_2x2():
    assert_metrics(
        run_metric(DepthMetric(), [make_sample(PRED_2X2, GT_2X2)]),
        EXPECTED_2X2,
    )
    # The functional core on the three valid pixels gives the same numbers.
    assert_metrics(
        depth_errors([2.0, 2.0, 2.0], [1.0, 2.0, 4.0]), EXPECTED_2X2
    )


def test_delta_thresholds_are_strict_and_distinct():
    # gt = 1 everywhere, so thresh = pred = (1.2, 1.5, 1.9, 3):
    # 1.2 < 1.25; 1.5 < 1.5625; 1.9 < 1.953125; 3 is above all three
    # -> a1 = 1/4, a2 = 2/4, a3 = 3/4
    result = depth_errors([1.2, 1.5, 1.9, 3.0], [1.0, 1.0, 1.0, 1.0])
    assert (result['a1'], result['a2'], result['a3']) == (0.25, 0.5, 0.75)
    # A ratio of exactly 1.25 is not < 1.25.
    assert depth_errors([1.25], [1.0])['a1'] == 0.0


def test_per_image_mean_not_pooled():
    # Image A is the 2x2 example (3 valid pixels, errors 1, 0, 2 metres).
    # Image B: one valid pixel, gt 3, pred 3 -> every error 0, a1 = 1.
    # Per-image mean: rmse = (sqrt(5/3) + 0) / 2 = 0.6454972243679028,
    #   abs_rel = (0.5 + 0) / 2 = 0.25, a1 = (1/3 + 1) / 2 = 2/3.
    # Pooled over the 4 pixels it would be rmse = sqrt(5/4) =
    #   1.118033988749895, abs_rel = 1.5 / 4 = 0.375, a1 = 2/4 = 0.5.
    samples = [
        make_sample(PRED_2X2, GT_2X2, 'a.png'),
        make_sample(
            [[3.0, 1.0], [1.0, 1.0]], [[3.0, 0.0], [0.0, 0.0]], 'b.png'
        ),
    ]
    result = run_metric(DepthMetric(), samples)
    assert result['rmse'] == pytest.approx(0.6454972243679028)
    assert result['abs_rel'] == pytest.approx(0.25)
    assert result['a1'] == pytest.approx(2 / 3)
    pooled_rmse = math.sqrt(5 / 4)
    assert abs(result['rmse'] - pooled_rmse) > 0.47
    assert abs(result['abs_rel'] - 0.375) == pytest.approx(0.125)


def test_clipping_of_predictions():
    # gt (1, 5), pred (1, 20), max_depth 10.
    # clip_pred=True: pred -> (1, 10): abs_rel = (0 + 5/5) / 2 = 0.5,
    #   rmse = sqrt((0 + 25) / 2) = 3.5355339059327378
    # clip_pred=False: abs_rel = (0 + 15/5) / 2 = 1.5,
    #   rmse = sqrt((0 + 225) / 2) = 10.606601717798213
    gt, pred = [[1.0, 5.0]], [[1.0, 20.0]]
    clipped = run_metric(DepthMetric(), [make_sample(pred, gt)])
    assert clipped['abs_rel'] == pytest.approx(0.5)
    assert clipped['rmse'] == pytest.approx(3.5355339059327378)
    raw = run_metric(DepthMetric(clip_pred=False), [make_sample(pred, gt)])
    assert raw['abs_rel'] == pytest.approx(1.5)
    assert raw['rmse'] == pytest.approx(10.606601717798213)
    # Negative prediction: clipped to min_depth 1e-3 -> abs_rel =
    # (|1 - 0.001| / 1 + 0) / 2 = 0.4995; without clipping it is an error.
    negative = [[-1.0, 5.0]]
    result = run_metric(DepthMetric(), [make_sample(negative, gt, 'n.png')])
    assert result['abs_rel'] == pytest.approx(0.4995)
    metric = DepthMetric(clip_pred=False)
    with pytest.raises(ValueError, match=r'n\.png.*<= 0'):
        metric.process(None, [make_sample(negative, gt, 'n.png')])


def test_caps_are_strict():
    # gt == max_depth (10) and gt == min_depth (1e-3, compared in the
    # float32 of the map, as BTS does) are both left out:
    # only the gt = 2 pixel counts, where pred is exact -> perfect metrics.
    gt = [[2.0, 10.0, 1e-3]]
    pred = [[2.0, 3.0, 3.0]]
    metric = DepthMetric(min_depth=1e-3, max_depth=10.0)
    metric.process(None, [make_sample(pred, gt)])
    assert metric.results[0]['num_valid'] == 1
    result = metric.evaluate(1)
    assert result['abs_rel'] == 0.0 and result['a1'] == 1.0
    mask = depth_eval_mask(np.array(gt, dtype=np.float64), 1e-3, 10.0)
    assert mask.tolist() == [[True, False, False]]


def test_eigen_nyu_crop_window():
    assert crop_window('eigen_nyu', (480, 640)) == (45, 471, 41, 601)
    top, bottom, left, right = EIGEN_NYU_CROP
    gt = np.full((480, 640), 2.0, dtype=np.float32)
    pred = np.full_like(gt, 7.0)  # wrong everywhere ...
    pred[top:bottom, left:right] = 2.0  # ... except inside the crop
    metric = DepthMetric(crop='eigen_nyu')
    metric.process(None, [make_sample(pred, gt, 'nyu/rgb_00000.jpg')])
    assert metric.results[0]['num_valid'] == 426 * 560
    result = metric.evaluate(1)
    assert result['abs_rel'] == 0.0 and result['rmse'] == 0.0
    assert result['a1'] == 1.0 and result['silog'] == 0.0
    # The first row/col inside the window count: one wrong pixel at (45, 41)
    # gives abs_rel = (5 / 2) / (426 * 560) = 1.0477867...e-05.
    pred[45, 41] = 7.0
    result = run_metric(DepthMetric(crop='eigen_nyu'), [make_sample(pred, gt)])
    assert result['abs_rel'] == pytest.approx(2.5 / (426 * 560))
    # The absolute window is only defined on 480 x 640 ground truth.
    with pytest.raises(ValueError, match='479 x 640'):
        DepthMetric(crop='eigen_nyu').process(
            None, [make_sample(pred[:479], gt[:479])]
        )


def test_garg_fractions_on_kitti_size(tmp_path):
    # Garg on 375 x 1242: rows int(0.40810811 * 375) = int(153.04) = 153 to
    # int(0.99189189 * 375) = int(371.96) = 371, cols int(44.65) = 44 to
    # int(1197.35) = 1197 -> 218 x 1153 = 251354 pixels.
    assert crop_window('garg', (375, 1242)) == (153, 371, 44, 1197)
    # Eigen (KITTI): rows int(124.66) = 124 to int(342.57) = 342.
    assert crop_window('eigen_kitti', (375, 1242)) == (124, 342, 44, 1197)
    gt = np.full((375, 1242), 20.0, dtype=np.float32)
    out = tmp_path / 'garg.json'
    metric = DepthMetric(max_depth=80.0, crop='garg', output_file=str(out))
    run_metric(metric, [make_sample(gt * 1.1, gt, 'kitti/0.png')])
    per_image = json.loads(out.read_text())['per_image']
    assert per_image[0]['num_valid'] == 218 * 1153 == 251354
    assert metric.protocol['crop_windows'] == {
        '375x1242': [153, 371, 44, 1197]
    }
    # A custom tuple is the same rule: (0, 0.5, 0.25, 1) of 4 x 4 keeps
    # rows 0:2, cols 1:4 -> 6 pixels.
    mask = depth_eval_mask(np.ones((4, 4)), crop=(0, 0.5, 0.25, 1))
    assert mask.sum() == 6 and mask[:2, 1:].all()


@pytest.mark.parametrize('bad', [float('nan'), float('inf')])
def test_non_finite_prediction_names_the_file(bad):
    pred = [[2.0, 2.0], [2.0, bad]]  # at the invalid gt pixel, even
    metric = DepthMetric()
    with pytest.raises(ValueError, match=r'rooms/0007\.png.*NaN/inf'):
        metric.process(None, [make_sample(pred, GT_2X2, 'rooms/0007.png')])
    with pytest.raises(ValueError, match='finite'):
        depth_errors([bad], [1.0])


def test_all_invalid_error_and_skip(warnings_log):
    empty = make_sample([[1.0, 1.0]], [[0.0, 20.0]], 'rooms/empty.png')
    with pytest.raises(ValueError, match=r'rooms/empty\.png.*no valid'):
        DepthMetric().process(None, [empty])

    metric = DepthMetric(on_empty='skip')
    result = run_metric(metric, [make_sample(PRED_2X2, GT_2X2), empty])
    assert_metrics(result, EXPECTED_2X2)
    assert metric.num_skipped == 1
    assert any(
        'skipped 1 of 2' in m and 'rooms/empty.png' in m for m in warnings_log
    )
    with pytest.raises(ValueError, match='1 skipped'):
        run_metric(DepthMetric(on_empty='skip'), [empty])


def test_shape_mismatch():
    sample = make_sample(np.ones((2, 3)), np.ones((2, 2)), 'rooms/3.png')
    with pytest.raises(ValueError, match=r'rooms/3\.png.*\(2, 3\).*\(2, 2\)'):
        DepthMetric().process(None, [sample])


def test_scale_invariance():
    rng = np.random.default_rng(0)
    gt = rng.uniform(0.5, 4.0, size=(6, 7))
    result = run_metric(DepthMetric(), [make_sample(2 * gt, gt)])
    # d = ln 2 everywhere: variance 0, rmse_log = ln 2, thresh = 2 >= 1.25^3
    assert result['silog'] == pytest.approx(0.0, abs=1e-4)
    assert result['sc_inv'] == pytest.approx(0.0, abs=1e-6)
    assert result['rmse_log'] == pytest.approx(math.log(2), rel=1e-6)
    assert result['a1'] == result['a2'] == result['a3'] == 0.0
    assert result['abs_rel'] == pytest.approx(1.0, rel=1e-6)


def test_protocol_and_output_file(tmp_path):
    out = tmp_path / 'sub' / 'depth.json'
    metric = DepthMetric(crop='eigen_nyu', output_file=str(out))
    protocol = metric.protocol
    assert protocol['crop'] == 'eigen_nyu'
    assert protocol['crop_windows'] == {'480x640': [45, 471, 41, 601]}
    assert (protocol['min_depth'], protocol['max_depth']) == (1e-3, 10.0)
    assert protocol['clip_pred'] is True
    assert protocol['averaging'] == 'per-image mean'
    assert protocol['units'] == 'metres'
    assert protocol['silog'].startswith('100 * sqrt(mean(d^2) - mean(d)^2)')

    gt = np.full((480, 640), 2.0, dtype=np.float32)
    pred = gt.copy()
    pred[EIGEN_NYU_CROP[0], EIGEN_NYU_CROP[2]] = 4.0
    samples = [make_sample(pred, gt, 'a.jpg'), make_sample(gt, gt, 'b.jpg')]
    result = run_metric(metric, samples)
    content = json.loads(out.read_text())
    assert set(content) >= {'metrics', 'protocol', 'num_images', 'per_image'}
    assert content['num_images'] == 2
    assert content['protocol'] == json.loads(json.dumps(protocol))
    assert content['metrics'] == pytest.approx(result)
    # Image a: one of 238560 pixels off by 2 m at gt 2 -> abs_rel 1/238560.
    assert [p['img_path'] for p in content['per_image']] == ['a.jpg', 'b.jpg']
    assert content['per_image'][0]['abs_rel'] == pytest.approx(1 / 238560)
    assert content['per_image'][1]['abs_rel'] == 0.0
    assert result['abs_rel'] == pytest.approx(0.5 / 238560)

    custom = DepthMetric(crop=[0.0, 0.5, 0.0, 1.0]).protocol
    assert custom['crop'] == 'custom'
    assert custom['crop_fractions'] == [0.0, 0.5, 0.0, 1.0]


def test_argument_checks():
    with pytest.raises(ValueError, match='Unknown crop'):
        DepthMetric(crop='nyu')
    with pytest.raises(ValueError, match='fractions'):
        DepthMetric(crop=(0.5, 0.2, 0.0, 1.0))
    with pytest.raises(ValueError, match='min_depth < max_depth'):
        DepthMetric(min_depth=10.0, max_depth=1.0)
    with pytest.raises(ValueError, match='on_empty'):
        DepthMetric(on_empty='ignore')


def test_evaluator_end_to_end(info_log):
    metric = METRICS.build(dict(type='DepthMetric', crop=None))
    assert isinstance(metric, DepthMetric)
    # default_prefix '' keeps keys plain without MMEngine's "prefix is not
    # set" warning.
    assert not any('prefix' in m for m in info_log)
    evaluator = Evaluator([metric])
    samples = [
        make_data_sample(PRED_2X2, GT_2X2, 'a.png'),
        make_data_sample(
            [[3.0, 1.0], [1.0, 1.0]], [[3.0, 0.0], [0.0, 0.0]], 'b.png'
        ),
    ]
    evaluator.process(data_samples=samples[:1], data_batch=None)
    evaluator.process(data_samples=samples[1:], data_batch=None)
    result = evaluator.evaluate(2)
    assert set(result) == set(DEPTH_METRIC_KEYS)  # plain keys, no prefix
    assert result['rmse'] == pytest.approx(0.6454972243679028)
    assert result['silog'] == pytest.approx(56.59523030068885 / 2)
    # The logged table names the number of images (2) and skipped ones (0).
    table = next(m for m in info_log if 'Depth metrics' in m)
    assert '| images | skipped | a1 ' in table
    assert '| 2      | 0       | 0.6667 |' in table

    prefixed = Evaluator(DepthMetric(prefix='nyu'))
    prefixed.process(data_samples=samples[:1], data_batch=None)
    result = prefixed.evaluate(1)
    assert sorted(result) == sorted(f'nyu/{k}' for k in DEPTH_METRIC_KEYS)
    assert result['nyu/abs_rel'] == pytest.approx(0.5)
