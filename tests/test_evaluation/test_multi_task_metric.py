"""Tests of MultiTaskMetric and delta_m, on hand-computed values."""

import json
import math

import pytest
import torch
import torch.distributed as torch_dist
import torch.multiprocessing as mp
from mmengine.evaluator import Evaluator
from mmengine.structures import PixelData

from mmdepthsr.evaluation.metrics import (
    DEPTH_METRIC_KEYS,
    DISPARITY_METRIC_KEYS,
    NORMAL_METRIC_KEYS,
    SEG_METRIC_KEYS,
    SR_METRIC_KEYS,
    DepthMetric,
    DisparityMetric,
    MultiTaskMetric,
    NormalMetric,
    SegMetric,
    SRMetric,
    collect_protocols,
    delta_m,
    relative_changes,
)
from mmdepthsr.registry import METRICS
from mmdepthsr.structures import DenseDataSample

DEPTH = dict(type='DepthMetric', prefix='depth')
SEG = dict(type='SegMetric', num_classes=2, prefix='seg')

# Two 2 x 2 images. Depth: every prediction 10 % too far (2.2 m for 2 m),
# so abs_rel = 0.1 and a1 = 1 in both. Segmentation, pooled over both
# (rows GT, columns prediction): GT 0: [4, 0], GT 1: [1, 3]
#   IoU_0 = 4 / 5 = 80 %, IoU_1 = 3 / 4 = 75 %, mIoU = 77.5 %
# (image 0 alone: IoU 2 / 3 and 1 / 2, mIoU 58.33 %).
GT_DEPTH = [[2.0, 2.0], [2.0, 2.0]]
PRED_DEPTH = [[2.2, 2.2], [2.2, 2.2]]
GT_SEG = [[0, 0], [1, 1]]
PRED_SEG = ([[0, 0], [1, 0]], [[0, 0], [1, 1]])
MIOU = 77.5
# Against abs_rel 0.125 (lower is better): -(0.1 - 0.125) / 0.125 = +20 %;
# a1 0.8 (higher is better): (1 - 0.8) / 0.8 = +25 %;
# mIoU 70 (higher): (77.5 - 70) / 70 = +10.71 %; delta_m = +18.57 %.
BASELINES = {'depth/abs_rel': 0.125, 'depth/a1': 0.8, 'seg/mIoU': 70.0}
EXPECTED_DELTA_M = (20 + 25 + 750 / 70) / 3


def make_sample(index):
    sample = DenseDataSample(metainfo=dict(img_path=f'rooms/{index}.png'))
    sample.gt_depth = PixelData(data=torch.tensor([GT_DEPTH]))
    sample.pred_depth = PixelData(data=torch.tensor([PRED_DEPTH]))
    sample.gt_sem_seg = PixelData(data=torch.tensor([GT_SEG]))
    sample.pred_sem_seg = PixelData(data=torch.tensor([PRED_SEG[index]]))
    return sample


def evaluate(metric, samples):
    evaluator = Evaluator(metric)
    evaluator.process(samples)
    return evaluator.evaluate(len(samples))


def test_every_key_has_a_direction():
    expected = {
        DepthMetric: (DEPTH_METRIC_KEYS, {'a1', 'a2', 'a3'}),
        SRMetric: (SR_METRIC_KEYS, set()),
        SegMetric: (SEG_METRIC_KEYS, set(SEG_METRIC_KEYS)),
        NormalMetric: (NORMAL_METRIC_KEYS, {'11.25', '22.5', '30'}),
        DisparityMetric: (DISPARITY_METRIC_KEYS, set()),
    }
    for cls, (keys, higher) in expected.items():
        assert tuple(cls.higher_is_better) == keys
        assert {k for k, v in cls.higher_is_better.items() if v} == higher


def test_delta_m_hand_computed():
    directions = {'depth/abs_rel': False, 'seg/mIoU': True}
    baselines = {'depth/abs_rel': 0.125, 'seg/mIoU': 50.0}
    # abs_rel 0.125 -> 0.10: +20 %; mIoU 50 -> 45: -10 %; mean +5 %.
    values = {'depth/abs_rel': 0.10, 'seg/mIoU': 45.0, 'depth/a1': 0.9}
    changes = relative_changes(values, baselines, directions)
    assert changes == pytest.approx({'depth/abs_rel': 20.0, 'seg/mIoU': -10.0})
    assert delta_m(values, baselines, directions) == pytest.approx(5.0)
    # Both the other way round: worse depth, better segmentation.
    values = {'depth/abs_rel': 0.15, 'seg/mIoU': 55.0}
    assert delta_m(values, baselines, directions) == pytest.approx(-5.0)
    # A negative baseline keeps "positive = better".
    assert relative_changes({'x': -1.0}, {'x': -2.0}, {'x': True}) == {
        'x': 50.0
    }


def test_per_task_keys_match_standalone_metrics_and_delta_m():
    samples = [make_sample(0), make_sample(1)]
    metric = MultiTaskMetric(metrics=[DEPTH, SEG], baselines=BASELINES)
    results = evaluate(metric, samples)

    alone = evaluate([METRICS.build(DEPTH), METRICS.build(SEG)], samples)
    assert list(results) == [*alone, 'delta_m', 'delta_m_count']
    assert {k: results[k] for k in alone} == alone
    assert results['depth/abs_rel'] == pytest.approx(0.1)
    assert results['seg/mIoU'] == pytest.approx(MIOU)
    assert results['delta_m'] == pytest.approx(EXPECTED_DELTA_M)
    assert results['delta_m_count'] == 3
    assert metric.changes['seg/mIoU'] == pytest.approx(10.7143, abs=1e-4)
    # The sub-metrics were reset: a second pass sees only its own samples.
    assert all(not m.results for m in metric.metrics)


def test_prefix_of_the_summary_keys_and_built_sub_metrics():
    metric = MultiTaskMetric(
        metrics=[DepthMetric(prefix='depth'), METRICS.build(SEG)],
        baselines={'depth/abs_rel': 0.125},
        prefix='mtl',
    )
    results = evaluate(metric, [make_sample(0)])
    assert results['mtl/delta_m'] == pytest.approx(20.0)
    assert results['mtl/delta_m_count'] == 1


def test_baseline_key_without_a_direction_is_refused():
    with pytest.raises(ValueError, match="baseline 'abs_rel' is unknown"):
        MultiTaskMetric(metrics=[DEPTH, SEG], baselines={'abs_rel': 0.1})


def test_baseline_key_no_sub_metric_returns_fails_listing_the_keys():
    metric = MultiTaskMetric(
        metrics=[DEPTH],
        baselines={'depth/abs_rel': 0.125, 'sr/rmse': 5.0},
        higher_is_better={'sr/rmse': False},
    )
    with pytest.raises(KeyError, match=r"\['sr/rmse'\].*depth/abs_rel"):
        evaluate(metric, [make_sample(0)])


def test_direction_override_flips_the_sign():
    metric = MultiTaskMetric(
        metrics=[DEPTH],
        baselines={'depth/abs_rel': 0.125},
        higher_is_better={'depth/abs_rel': True},
    )
    assert metric.compute_metrics({'depth/abs_rel': 0.1})[
        'delta_m'
    ] == pytest.approx(-20.0)


@pytest.mark.parametrize('value', [0, 0.0, math.nan, math.inf])
def test_zero_or_non_finite_baseline_is_refused(value):
    with pytest.raises(ValueError, match="baseline of 'seg/mIoU'"):
        MultiTaskMetric(metrics=[SEG], baselines={'seg/mIoU': value})


def test_bad_construction_is_refused():
    with pytest.raises(ValueError, match='at least one metric'):
        MultiTaskMetric(metrics=[], baselines=BASELINES)
    with pytest.raises(ValueError, match='needs baselines'):
        MultiTaskMetric(metrics=[DEPTH], baselines={})
    # DepthMetric and SRMetric both report a plain 'rmse'.
    with pytest.raises(ValueError, match="both report 'rmse'"):
        MultiTaskMetric(
            metrics=[dict(type='DepthMetric'), dict(type='SRMetric')],
            baselines={'abs_rel': 0.1},
        )


def test_dataset_meta_reaches_the_sub_metrics():
    metric = MultiTaskMetric(metrics=[DEPTH, SEG], baselines=BASELINES)
    metric.dataset_meta = dict(classes=('wall', 'floor'))
    assert metric.metrics[1].dataset_meta == dict(classes=('wall', 'floor'))
    with pytest.raises(ValueError, match='num_classes=2'):
        metric.dataset_meta = dict(classes=('wall', 'floor', 'chair'))


def test_protocols_and_output_files(tmp_path):
    seg_file = tmp_path / 'seg.json'
    out_file = tmp_path / 'mtl' / 'delta_m.json'
    metric = MultiTaskMetric(
        metrics=[DEPTH, dict(SEG, output_file=str(seg_file))],
        baselines=BASELINES,
        output_file=str(out_file),
    )
    evaluator = Evaluator(metric)
    protocols = collect_protocols(evaluator.metrics)
    assert list(protocols) == [
        'MultiTaskMetric',
        'DepthMetric[depth]',
        'SegMetric[seg]',
    ]
    assert protocols['MultiTaskMetric']['baselines'] == BASELINES
    assert protocols['MultiTaskMetric']['higher_is_better'] == {
        'depth/abs_rel': False,
        'depth/a1': True,
        'seg/mIoU': True,
    }
    evaluator.process([make_sample(0), make_sample(1)])
    results = evaluator.evaluate(2)

    # The sub-metric still writes its own file.
    seg = json.loads(seg_file.read_text())
    assert seg['metrics']['mIoU'] == pytest.approx(MIOU)
    content = json.loads(out_file.read_text())
    assert content['metrics']['delta_m'] == pytest.approx(results['delta_m'])
    assert content['protocol']['baselines'] == BASELINES
    assert list(content['metric_protocols']) == list(protocols)[1:]
    assert content['relative_changes']['depth/a1'] == pytest.approx(25.0)


def _evaluate_on_rank(rank, init_file, out_file):
    torch_dist.init_process_group(
        'gloo', init_method=f'file://{init_file}', rank=rank, world_size=2
    )
    metric = MultiTaskMetric(metrics=[DEPTH, SEG], baselines=BASELINES)
    # Each rank sees one of the two images, as a distributed sampler does.
    metric.process(None, [make_sample(rank).to_dict()])
    results = metric.evaluate(2)
    torch.save(results, f'{out_file}.{rank}')
    torch_dist.destroy_process_group()


def test_two_gloo_processes_give_the_single_process_result(tmp_path):
    out_file = tmp_path / 'results'
    mp.spawn(
        _evaluate_on_rank,
        args=(str(tmp_path / 'init'), str(out_file)),
        nprocs=2,
    )
    expected = evaluate(
        MultiTaskMetric(metrics=[DEPTH, SEG], baselines=BASELINES),
        [make_sample(0), make_sample(1)],
    )
    for rank in (0, 1):
        results = torch.load(f'{out_file}.{rank}')
        assert results == pytest.approx(expected)
        assert results['seg/mIoU'] == pytest.approx(MIOU)
        assert results['delta_m'] == pytest.approx(EXPECTED_DELTA_M)
