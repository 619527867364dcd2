"""Tests of SegMetric and its functional core, on hand-computed values."""

import json
import logging
import math
import pickle

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.logging import MMLogger
from mmengine.structures import PixelData

from mmdepthsr.evaluation.metrics import (
    SEG_METRIC_KEYS,
    SegMetric,
    seg_areas,
    seg_scores,
)
from mmdepthsr.registry import METRICS
from mmdepthsr.structures import DenseDataSample

# 4 classes; class 3 appears neither in the ground truth nor in the
# prediction of a labelled pixel. 255 = ignore: the prediction there (3, 3
# and the out-of-range 9) is not looked at.
GT_A = [[0, 0, 0, 0], [1, 1, 1, 2], [2, 255, 255, 255]]
PRED_A = [[0, 0, 0, 1], [1, 1, 2, 2], [0, 3, 3, 9]]
# Confusion matrix over the 9 labelled pixels (rows GT, columns pred):
#   GT 0: [3, 1, 0]   GT 1: [0, 2, 1]   GT 2: [1, 0, 1]
# intersect = (3, 2, 1, 0), label_area = (4, 3, 2, 0),
# pred_area = column sums = (4, 3, 2, 0),
# union = pred + label - intersect = (5, 4, 3, 0)
#   IoU = (60, 50, 33.333..., NaN) %      Acc = (75, 66.666..., 50, NaN) %
#   mIoU = (60 + 50 + 100/3) / 3 = 47.7777...  (class 3 skipped)
#   mAcc = (75 + 200/3 + 50) / 3 = 63.8888...
#   aAcc = 6 / 9 = 66.666...
#   fwIoU = (4 * 60 + 3 * 50 + 2 * 100/3) / 9 = 50.7407...
#   with nan_to_num=0: mIoU = (60 + 50 + 100/3 + 0) / 4 = 35.8333...,
#     mAcc = (75 + 200/3 + 50 + 0) / 4 = 47.9166...
EXPECTED_A = dict(
    aAcc=200 / 3,
    mAcc=(75 + 200 / 3 + 50) / 3,
    mIoU=(60 + 50 + 100 / 3) / 3,
    fwIoU=(240 + 150 + 200 / 3) / 9,
)
CLASSES = ('wall', 'floor', 'chair', 'lamp')


def make_data_sample(pred, gt, img_path='rooms/0000.png'):
    sample = DenseDataSample(metainfo=dict(img_path=img_path))
    sample.pred_sem_seg = PixelData(data=torch.as_tensor(pred)[None])
    sample.gt_sem_seg = PixelData(
        data=torch.as_tensor(gt, dtype=torch.int64)[None]
    )
    return sample


def make_sample(pred, gt, img_path='rooms/0000.png'):
    """A model output as the evaluator receives it (a dict)."""
    return make_data_sample(pred, gt, img_path).to_dict()


def run_metric(metric, samples):
    metric.process(None, samples)
    return metric.evaluate(len(samples))


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.INFO)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def log_messages():
    logger = MMLogger.get_current_instance()
    handler = _Collect()
    logger.addHandler(handler)
    yield handler.messages
    logger.removeHandler(handler)


def assert_scores(result, expected):
    assert set(result) == set(SEG_METRIC_KEYS)
    for key, value in expected.items():
        assert result[key] == pytest.approx(value, rel=1e-12), key


def test_areas_of_the_confusion_example():
    intersect, union, pred_area, label_area = seg_areas(
        np.array(PRED_A), np.array(GT_A), num_classes=4
    )
    assert intersect.tolist() == [3, 2, 1, 0]
    assert union.tolist() == [5, 4, 3, 0]
    assert pred_area.tolist() == [4, 3, 2, 0]
    assert label_area.tolist() == [4, 3, 2, 0]
    scores = seg_scores(intersect, union, pred_area, label_area)
    assert scores['IoU'][:3] == pytest.approx([60.0, 50.0, 100 / 3])
    assert math.isnan(scores['IoU'][3])
    assert scores['Acc'][:3] == pytest.approx([75.0, 200 / 3, 50.0])
    assert math.isnan(scores['Acc'][3])


def test_hand_computed_with_absent_class_and_ignore():
    result = run_metric(SegMetric(4), [make_sample(PRED_A, GT_A)])
    assert_scores(result, EXPECTED_A)


def test_nan_to_num_counts_absent_classes():
    # The Multi-Task-Learning-PyTorch / astmt rule: absent class = 0.
    result = run_metric(
        SegMetric(4, nan_to_num=0), [make_sample(PRED_A, GT_A)]
    )
    assert result['mIoU'] == pytest.approx((60 + 50 + 100 / 3) / 4)
    assert result['mAcc'] == pytest.approx((75 + 200 / 3 + 50) / 4)
    # aAcc and fwIoU do not depend on absent classes.
    assert result['aAcc'] == pytest.approx(EXPECTED_A['aAcc'])
    assert result['fwIoU'] == pytest.approx(EXPECTED_A['fwIoU'])


def test_predicted_but_unlabelled_class_counts_as_zero():
    # Class 1 is predicted once but never labelled: U = 1, I = 0 -> IoU 0
    # (kept in mIoU), Acc NaN (no labelled pixel, skipped in mAcc).
    # Class 0: I = 1, U = 2 -> 50 %; mIoU = (50 + 0) / 2 = 25.
    result = run_metric(SegMetric(2), [make_sample([[0, 1]], [[0, 0]])])
    assert result['mIoU'] == pytest.approx(25.0)
    assert result['mAcc'] == pytest.approx(50.0)
    assert result['aAcc'] == pytest.approx(50.0)
    assert result['fwIoU'] == pytest.approx(50.0)


def test_pooled_not_averaged_per_image():
    # Image B: two labelled pixels of class 2, both right. On its own:
    # classes 0, 1, 3 have U = 0 -> mIoU = 100, aAcc = 100.
    # Averaged per image: mIoU = (47.777... + 100) / 2 = 73.888...,
    #   aAcc = (66.666... + 100) / 2 = 83.333...
    # Pooled (returned): intersect = (3, 2, 3), label = pred = (4, 3, 4),
    #   union = (5, 4, 5) -> IoU = (60, 50, 60), mIoU = 56.666...,
    #   aAcc = 8 / 11 = 72.7272..., mAcc = (75 + 66.666... + 75) / 3,
    #   fwIoU = (4 * 60 + 3 * 50 + 4 * 60) / 11 = 57.2727...
    samples = [
        make_sample(PRED_A, GT_A, 'a.png'),
        make_sample([[2, 2]], [[2, 2]], 'b.png'),
    ]
    result = run_metric(SegMetric(4), samples)
    assert result['mIoU'] == pytest.approx(170 / 3)
    assert result['aAcc'] == pytest.approx(800 / 11)
    assert result['mAcc'] == pytest.approx((75 + 200 / 3 + 75) / 3)
    assert result['fwIoU'] == pytest.approx(630 / 11)
    per_image_miou = (EXPECTED_A['mIoU'] + 100.0) / 2
    assert per_image_miou == pytest.approx(73.8888888)
    assert abs(result['mIoU'] - per_image_miou) > 17


def test_gt_id_out_of_range_names_the_file():
    gt = [[0, 4], [1, 255]]  # 4 is not a class of a 4-class metric
    with pytest.raises(ValueError, match=r'nyu/0042\.png.*gt_sem_seg.*: 4;'):
        SegMetric(4).process(
            None, [make_sample([[0, 0], [1, 1]], gt, 'nyu/0042.png')]
        )
    # MTAN-style -1 void with the default ignore index is a wrong mapping.
    with pytest.raises(ValueError, match=r'm\.png.*outside 0\.\.3.*-1'):
        SegMetric(4).process(None, [make_sample([[0, 0]], [[0, -1]], 'm.png')])
    # ... and fine once -1 is the ignore index.
    result = run_metric(
        SegMetric(4, ignore_index=-1), [make_sample([[0, 0]], [[0, -1]])]
    )
    assert result['aAcc'] == 100.0


def test_pred_id_out_of_range_names_the_file():
    with pytest.raises(ValueError, match=r'p\.png.*pred_sem_seg.*: 7;'):
        SegMetric(4).process(None, [make_sample([[0, 7]], [[0, 1]], 'p.png')])
    # Non-integer "ids" (scores instead of argmax) are refused.
    with pytest.raises(ValueError, match=r'f\.png.*non-integer'):
        SegMetric(4).process(
            None, [make_sample([[0.5, 1.0]], [[0, 1]], 'f.png')]
        )
    # Integral floats are accepted as ids.
    result = run_metric(SegMetric(4), [make_sample([[0.0, 1.0]], [[0, 1]])])
    assert result['mIoU'] == 100.0


def test_shape_mismatch_names_the_file():
    sample = make_sample(np.zeros((2, 3), np.int64), np.zeros((2, 2)), 's.png')
    with pytest.raises(ValueError, match=r's\.png.*\(2, 3\).*\(2, 2\)'):
        SegMetric(4).process(None, [sample])


def test_argument_checks():
    with pytest.raises(ValueError, match='ignore_index=0 is a class id'):
        SegMetric(4, ignore_index=0)
    with pytest.raises(ValueError, match='positive integer'):
        SegMetric(0)
    with pytest.raises(ValueError, match='class_names lists 3 names'):
        SegMetric(4, class_names=CLASSES[:3])


def test_all_ignored_set_is_an_error():
    with pytest.raises(ValueError, match='labelled pixel'):
        run_metric(SegMetric(4), [make_sample([[0, 1]], [[255, 255]])])


def test_results_merge_across_ranks():
    # Each rank stores plain numpy per-image records; the pooled result of
    # the gathered records equals a single-process run.
    rank0, rank1 = SegMetric(4), SegMetric(4)
    rank0.process(None, [make_sample(PRED_A, GT_A, 'a.png')])
    rank1.process(None, [make_sample([[2, 2]], [[2, 2]], 'b.png')])
    gathered = pickle.loads(pickle.dumps(rank0.results + rank1.results))
    assert isinstance(gathered[0]['intersect'], np.ndarray)
    result = SegMetric(4).compute_metrics(gathered)
    assert result['mIoU'] == pytest.approx(170 / 3)


def test_protocol_and_output_file(tmp_path):
    out = tmp_path / 'sub' / 'seg.json'
    metric = SegMetric(4, class_names=CLASSES, output_file=str(out))
    protocol = metric.protocol
    assert protocol['averaging'].startswith('pooled over the set')
    assert protocol['ignore_index'] == 255
    assert protocol['units'] == 'percent'
    assert 'left out of mIoU' in protocol['absent_class_rule']
    assert 'count as 0' in protocol['absent_class_rule']

    result = run_metric(
        metric,
        [
            make_sample(PRED_A, GT_A, 'a.png'),
            make_sample([[2, 2]], [[2, 2]], 'b.png'),
        ],
    )
    content = json.loads(out.read_text())
    assert content['protocol'] == json.loads(json.dumps(protocol))
    assert content['metrics'] == pytest.approx(result)
    assert content['num_images'] == 2
    per_class = {c['name']: c for c in content['per_class']}
    assert per_class['wall']['IoU'] == pytest.approx(60.0)
    assert per_class['chair']['Acc'] == pytest.approx(75.0)
    assert per_class['chair']['union'] == 5
    assert per_class['lamp']['IoU'] is None  # NaN written as null
    assert per_class['lamp']['label_area'] == 0
    assert [p['aAcc'] for p in content['per_image']] == pytest.approx(
        [200 / 3, 100.0]
    )
    assert metric.per_class[0]['name'] == 'wall'


def test_evaluator_end_to_end(log_messages):
    metric = METRICS.build(dict(type='SegMetric', num_classes=4))
    assert isinstance(metric, SegMetric)
    evaluator = Evaluator([metric])
    evaluator.dataset_meta = dict(classes=CLASSES)
    # The evaluator turns DenseDataSamples into dicts (sample.to_dict()).
    evaluator.process(
        data_samples=[make_data_sample(PRED_A, GT_A, 'a.png')],
        data_batch=None,
    )
    result = evaluator.evaluate(1)
    assert set(result) == set(SEG_METRIC_KEYS)  # plain keys, no prefix
    assert_scores(result, EXPECTED_A)
    # Per-class table (mmseg style) with the dataset's class names.
    table = next(m for m in log_messages if 'per class results' in m)
    assert '| wall  | 60.00 | 75.00 |' in table
    assert '| chair | 33.33 | 50.00 |' in table
    assert '| lamp  | nan   | nan   |' in table
    summary = next(m for m in log_messages if 'Segmentation metrics' in m)
    assert '| 1      | 66.67 | 63.89 | 47.78 | 50.74 |' in summary
    assert any('absent' in m and 'lamp' in m for m in log_messages)

    prefixed = Evaluator(SegMetric(4, prefix='seg'))
    prefixed.process(
        data_samples=[make_data_sample(PRED_A, GT_A)], data_batch=None
    )
    assert sorted(prefixed.evaluate(1)) == sorted(
        f'seg/{k}' for k in SEG_METRIC_KEYS
    )


def test_dataset_meta_class_count_must_match():
    evaluator = Evaluator([SegMetric(5)])
    with pytest.raises(ValueError, match="dataset meta's classes lists 4"):
        evaluator.dataset_meta = dict(classes=CLASSES)
    # Explicit class_names take precedence over the dataset meta.
    metric = SegMetric(4, class_names=['a', 'b', 'c', 'd'])
    metric.dataset_meta = dict(classes=('x', 'y'))
    assert metric._names() == ['a', 'b', 'c', 'd']
