import json
import math

import numpy as np
import pytest
import torch
from mmengine.structures import PixelData

from mmdepthsr.evaluation.metrics import BaseDenseMetric, base
from mmdepthsr.structures import DenseDataSample


class ToyMetric(BaseDenseMetric):
    """Mean absolute error over ``gt > 0``, per image then averaged."""

    results_name = 'Toy metrics'

    def __init__(self, on_empty='error', **kwargs):
        super().__init__(pred_key='pred_depth', gt_key='gt_depth', **kwargs)
        self.on_empty = self.check_on_empty(on_empty)

    @property
    def protocol(self):
        return dict(valid_mask='gt > 0', on_empty=self.on_empty, nan=math.nan)

    def _process_one(self, sample):
        name = self.sample_name(sample)
        pred, gt = self.read_pair(sample, name, 'toy errors')
        mask = gt > 0
        record = dict(img_path=name, num_valid=int(mask.sum()))
        if not mask.any():
            return self.skip_or_raise(record, f'{name}: no valid pixel')
        record['skipped'] = False
        err = np.abs(pred[mask] - gt[mask])
        # A NaN metric must reach the JSON as null.
        record['metrics'] = dict(mae=float(err.mean()), nan_key=math.nan)
        return record

    def compute_metrics(self, results):
        evaluated, skipped = self.split_skipped(results)
        metrics = self.mean_over_images(evaluated, ('mae', 'nan_key'))
        self.log_summary('Toy', dict(images=len(evaluated)), metrics)
        self.write_per_image_output(metrics, evaluated, skipped)
        return metrics


def sample(name, pred, gt):
    return dict(
        img_path=name,
        pred_depth=dict(data=torch.tensor(pred, dtype=torch.float32)[None]),
        gt_depth=dict(data=torch.tensor(gt, dtype=torch.float32)[None]),
    )


def test_output_file_content_and_nan_as_null(tmp_path):
    out = tmp_path / 'sub' / 'toy.json'
    metric = ToyMetric(on_empty='skip', output_file=str(out))
    metric.process(
        None,
        [
            # |1-2| = 1 and |4-2| = 2 over two valid pixels -> 1.5
            sample('a.png', [[1.0, 4.0, 9.0]], [[2.0, 2.0, 0.0]]),
            sample('empty.png', [[1.0, 1.0, 1.0]], [[0.0, 0.0, 0.0]]),
            # one valid pixel, |3-5| = 2
            sample('b.png', [[3.0, 0.0, 0.0]], [[5.0, 0.0, 0.0]]),
        ],
    )
    result = metric.compute_metrics(metric.results)
    assert result['mae'] == pytest.approx(1.75)
    assert math.isnan(result['nan_key'])
    assert metric.num_skipped == 1

    content = json.loads(out.read_text())
    assert list(content) == [
        'metrics',
        'protocol',
        'num_images',
        'num_skipped',
        'skipped_images',
        'per_image',
    ]
    assert content['metrics'] == {'mae': 1.75, 'nan_key': None}
    assert content['protocol'] == dict(
        valid_mask='gt > 0', on_empty='skip', nan=None
    )
    assert content['num_images'] == 2
    assert content['num_skipped'] == 1
    assert content['skipped_images'] == ['empty.png']
    assert content['per_image'] == [
        dict(img_path='a.png', num_valid=2, mae=1.5, nan_key=None),
        dict(img_path='b.png', num_valid=1, mae=2.0, nan_key=None),
    ]


def test_json_safe_converts_numpy_and_nan():
    value = dict(
        a=np.float32(0.5),
        b=(np.int64(3), np.nan),
        c=np.array([1.0, np.nan]),
        d=np.bool_(True),
        e='text',
    )
    assert BaseDenseMetric.json_safe(value) == dict(
        a=0.5, b=[3, None], c=[1.0, None], d=True, e='text'
    )


def test_output_file_written_by_main_process_only(tmp_path, monkeypatch):
    out = tmp_path / 'toy.json'
    metric = ToyMetric(output_file=str(out))
    metric.process(None, [sample('a.png', [[1.0]], [[2.0]])])
    monkeypatch.setattr(base, 'is_main_process', lambda: False)
    assert metric.compute_metrics(metric.results)['mae'] == 1.0
    assert not out.exists()


def test_errors_name_img_path():
    metric = ToyMetric()
    missing = sample('rooms/7.png', [[1.0]], [[1.0]])
    del missing['gt_depth']
    with pytest.raises(KeyError, match=r"rooms/7\.png.*no field 'gt_depth'"):
        metric.process(None, [missing])
    with pytest.raises(ValueError, match=r'rooms/8\.png.*\(1, 2\).*\(1, 1\)'):
        metric.process(None, [sample('rooms/8.png', [[1.0, 2.0]], [[1.0]])])
    nan_message = r'rooms/9\.png: pred_depth has 1 NaN/inf pixel\(s\)'
    with pytest.raises(ValueError, match=nan_message):
        metric.process(None, [sample('rooms/9.png', [[np.nan]], [[1.0]])])
    bad_shape = sample('rooms/10.png', [[1.0]], [[1.0]])
    bad_shape['gt_depth']['data'] = torch.ones(2, 1, 1)
    with pytest.raises(ValueError, match=r'rooms/10\.png.*\(1, H, W\)'):
        metric.process(None, [bad_shape])
    with pytest.raises(ValueError, match=r'rooms/11\.png: no valid.*skip'):
        metric.process(None, [sample('rooms/11.png', [[1.0]], [[0.0]])])
    with pytest.raises(ValueError, match='on_empty'):
        ToyMetric(on_empty='ignore')


def test_skipping_everything_raises():
    metric = ToyMetric(on_empty='skip')
    metric.process(None, [sample('e.png', [[1.0]], [[0.0]])])
    with pytest.raises(ValueError, match='ToyMetric has no image.*1 skipped'):
        metric.compute_metrics(metric.results)


def test_data_samples_and_plain_keys():
    data_sample = DenseDataSample(metainfo=dict(img_path='d.png'))
    data_sample.pred_depth = PixelData(data=torch.full((1, 2, 2), 3.0))
    data_sample.gt_depth = PixelData(data=torch.full((1, 2, 2), 1.0))
    metric = ToyMetric()
    metric.process(None, [data_sample])
    assert metric.results[0]['img_path'] == 'd.png'
    # default_prefix is '': MMEngine returns the keys without a prefix.
    assert metric.evaluate(1)['mae'] == 2.0


def test_protocol_and_process_one_are_abstract():
    class Incomplete(BaseDenseMetric):
        def compute_metrics(self, results):
            return {}

    with pytest.raises(TypeError, match='abstract'):
        Incomplete(pred_key='p', gt_key='g')
