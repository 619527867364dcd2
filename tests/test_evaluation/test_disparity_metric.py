"""DisparityMetric and its numpy core, on hand-computed values."""

import json

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.structures import PixelData

from mmdepthsr.evaluation.metrics import (
    DISPARITY_METRIC_KEYS,
    DisparityMetric,
    depth_to_disparity,
    disparity_errors,
)
from mmdepthsr.registry import METRICS
from mmdepthsr.structures import DenseDataSample

# Image A: baseline 0.5 m, fx 100 px -> baseline * fx = 50 px m.
#   gt [[10, 25], [0, 50]] -> disparity (5, 2, -, 1) (the 0 is invalid)
#   pred [[5, 50], [1, 25]] -> disparity (10, 1, -, 2)
#   |diff| = (5, 1, 1): abs = 7/3; rel = (5/5 + 1/2 + 1/1) / 3 = 5/6
# Image B: baseline 0.2 m, fx 50 px -> 10 px m.
#   gt [[10, 0]] -> (1, -); pred [[5, 7]] -> (2, -): abs = 1, rel = 1
# Pooled over the 4 pixels: abs = (5 + 1 + 1 + 1) / 4 = 2,
#   rel = (1 + 0.5 + 1 + 1) / 4 = 0.875.
# Per image: abs = (7/3 + 1) / 2 = 5/3, rel = (5/6 + 1) / 2 = 11/12.
IMAGE_A = dict(
    gt=[[10.0, 25.0], [0.0, 50.0]],
    pred=[[5.0, 50.0], [1.0, 25.0]],
    baseline=0.5,
    intrinsics=[100.0, 100.0, 1.0, 1.0],
    img_path='city/a.png',
)
IMAGE_B = dict(
    gt=[[10.0, 0.0]],
    pred=[[5.0, 7.0]],
    baseline=0.2,
    intrinsics=[50.0, 50.0, 1.0, 0.0],
    img_path='city/b.png',
)


def make_sample(gt, pred, baseline, intrinsics, img_path, **meta):
    metainfo = dict(img_path=img_path, cam_intrinsics=np.array(intrinsics))
    if baseline is not None:
        metainfo['stereo_baseline'] = baseline
    metainfo.update(meta)
    sample = DenseDataSample(metainfo=metainfo)
    sample.gt_depth = PixelData(data=torch.tensor(gt)[None])
    sample.pred_depth = PixelData(data=torch.tensor(pred)[None])
    return sample.to_dict()


def run(metric, *images):
    metric.results.clear()
    metric.process(None, [make_sample(**image) for image in images])
    return metric.compute_metrics(metric.results)


def test_depth_to_disparity_and_errors():
    np.testing.assert_allclose(
        depth_to_disparity(np.array([10.0, 0.0, 50.0, -1.0]), 0.5, 100.0),
        [5.0, 0.0, 1.0, 0.0],
    )
    errors = disparity_errors(np.array([10.0, 1.0, 2.0]), [5.0, 2.0, 1.0])
    assert errors == pytest.approx(
        dict(disp_abs_err=7 / 3, disp_rel_err=5 / 6)
    )
    assert tuple(errors) == DISPARITY_METRIC_KEYS
    with pytest.raises(ValueError, match='no valid pixel'):
        disparity_errors(np.array([]), np.array([]))
    with pytest.raises(ValueError, match='non-positive'):
        disparity_errors(np.array([1.0]), np.array([0.0]))
    with pytest.raises(ValueError, match='non-finite predicted'):
        disparity_errors(np.array([np.inf]), np.array([1.0]))
    with pytest.raises(ValueError, match='as many'):
        disparity_errors(np.array([1.0, 2.0]), np.array([1.0]))


def test_pixel_and_image_averaging():
    pooled = run(DisparityMetric(), IMAGE_A, IMAGE_B)
    assert pooled == pytest.approx(dict(disp_abs_err=2.0, disp_rel_err=0.875))
    per_image = run(DisparityMetric(averaging='image'), IMAGE_A, IMAGE_B)
    assert per_image == pytest.approx(
        dict(disp_abs_err=5 / 3, disp_rel_err=11 / 12)
    )


def test_perfect_prediction_and_clipping():
    perfect = dict(IMAGE_A, pred=IMAGE_A['gt'])
    assert run(DisparityMetric(), perfect) == pytest.approx(
        dict(disp_abs_err=0.0, disp_rel_err=0.0)
    )
    # A prediction of 0 m is clamped to min_depth = 1 m: disparity 50 px
    # against 5 px at the first pixel -> |diff| 45, rel 9; others exact.
    zero = dict(IMAGE_A, pred=[[0.0, 25.0], [3.0, 50.0]])
    out = run(DisparityMetric(min_depth=1.0), zero)
    assert out == pytest.approx(dict(disp_abs_err=15.0, disp_rel_err=3.0))
    with pytest.raises(ValueError, match=r'city/a\.png.*clip_pred=False'):
        run(DisparityMetric(clip_pred=False), zero)


def test_fx_rescaled_when_gt_kept_at_its_size():
    # The image was resized to 1 x 1 (fx = 50 there) but the 2-wide ground
    # truth was kept: fx at the GT resolution is 50 * 2 / 1 = 100, which
    # gives the numbers of IMAGE_A.
    resized = dict(
        IMAGE_A, intrinsics=[50.0, 50.0, 0.0, 0.0], img_shape=(1, 1)
    )
    out = run(DisparityMetric(), resized)
    assert out == pytest.approx(dict(disp_abs_err=7 / 3, disp_rel_err=5 / 6))
    same = dict(IMAGE_A, img_shape=(2, 2))
    assert run(DisparityMetric(), same)['disp_abs_err'] == pytest.approx(7 / 3)


def test_errors_name_the_image():
    metric = DisparityMetric()
    with pytest.raises(ValueError, match=r'city/a\.png.*stereo_baseline'):
        run(metric, dict(IMAGE_A, baseline=None))
    with pytest.raises(ValueError, match=r'city/a\.png.*baseline is -0\.5'):
        run(metric, dict(IMAGE_A, baseline=-0.5))
    with pytest.raises(ValueError, match=r'city/a\.png.*fx is 0\.0'):
        run(metric, dict(IMAGE_A, intrinsics=[0.0, 1.0, 0.0, 0.0]))
    nan_pred = dict(IMAGE_A, pred=[[np.nan, 1.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match=r'city/a\.png.*pred_depth.*NaN'):
        run(metric, nan_pred)
    nan_gt = dict(IMAGE_A, gt=[[np.inf, 1.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match=r'city/a\.png.*gt_depth.*NaN'):
        run(metric, nan_gt)
    with pytest.raises(ValueError, match=r'city/b\.png.*shape'):
        run(metric, dict(IMAGE_B, pred=[[1.0, 2.0, 3.0]]))
    empty = dict(IMAGE_B, gt=[[0.0, 0.0]])
    with pytest.raises(ValueError, match=r'city/b\.png.*no valid'):
        run(metric, empty)
    sample = make_sample(**IMAGE_A)
    del sample['cam_intrinsics']
    with pytest.raises(ValueError, match=r'city/a\.png.*cam_intrinsics'):
        metric.process(None, [sample])
    with pytest.raises(ValueError, match='averaging'):
        DisparityMetric(averaging='batch')
    with pytest.raises(ValueError, match='min_depth'):
        DisparityMetric(min_depth=0)


def test_skip_empty_and_output_file(tmp_path):
    out_file = tmp_path / 'res' / 'disp.json'
    metric = DisparityMetric(on_empty='skip', output_file=str(out_file))
    empty = dict(IMAGE_B, gt=[[0.0, 0.0]], img_path='city/empty.png')
    out = run(metric, IMAGE_A, empty)
    assert out == pytest.approx(dict(disp_abs_err=7 / 3, disp_rel_err=5 / 6))
    assert metric.num_skipped == 1
    content = json.loads(out_file.read_text())
    assert content['metrics'] == pytest.approx(out)
    assert content['num_images'] == 1
    assert content['skipped_images'] == ['city/empty.png']
    protocol = content['protocol']
    assert protocol['averaging'].startswith('pooled')
    assert protocol['evaluated_shapes'] == ['2x2']
    assert 'stereo_baseline * fx / depth' in protocol['disparity']
    assert content['per_image'][0]['num_valid'] == 3
    assert content['per_image'][0]['fx'] == 100.0
    assert content['per_image'][0]['stereo_baseline'] == 0.5
    with pytest.raises(ValueError, match='no image to average'):
        run(DisparityMetric(on_empty='skip'), empty)


def test_evaluator_with_prefix_and_registry():
    metric = METRICS.build(dict(type='DisparityMetric', prefix='disp'))
    evaluator = Evaluator([metric])
    samples = [make_sample(**IMAGE_A), make_sample(**IMAGE_B)]
    evaluator.process(samples)
    out = evaluator.evaluate(2)
    assert out == pytest.approx(
        {'disp/disp_abs_err': 2.0, 'disp/disp_rel_err': 0.875}
    )
    plain = Evaluator([DisparityMetric()])
    plain.process([make_sample(**IMAGE_B)])
    assert set(plain.evaluate(1)) == set(DISPARITY_METRIC_KEYS)
