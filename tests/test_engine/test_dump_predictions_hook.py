"""DumpPredictionsHook: one record per sample with numpy predictions."""

from types import SimpleNamespace

import mmengine
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData

from mmdepthsr.engine.dump_predictions_hook import DumpPredictionsHook
from mmdepthsr.registry import HOOKS
from mmdepthsr.structures import DenseDataSample


def sample(idx, **fields):
    s = DenseDataSample(
        metainfo=dict(
            img_path=f'a/{idx}.png',
            sample_idx=idx,
            ori_shape=(2, 3),
            img_shape=(2, 3),
        )
    )
    for key, value in fields.items():
        setattr(s, key, PixelData(data=value))
    return s


def test_dumps_predictions_in_order(tmp_path):
    out = tmp_path / 'sub' / 'preds.pkl'
    hook = HOOKS.build(dict(type='DumpPredictionsHook', out_file=str(out)))
    runner = SimpleNamespace(
        test_dataloader=SimpleNamespace(dataset=list(range(3)))
    )
    depth = torch.arange(6.0).view(1, 2, 3)
    normal = torch.zeros(3, 2, 3)
    hook.before_test(runner)
    hook.after_test_iter(
        runner,
        0,
        None,
        [
            sample(0, pred_depth=depth, gt_depth=depth + 1),
            sample(1, pred_depth=depth * 2, pred_normal=normal),
        ],
    )
    hook.after_test_iter(
        runner, 1, None, [sample(2, seg_logits=torch.ones(4, 2, 3))]
    )
    hook.after_test_epoch(runner, metrics={})
    records = mmengine.load(str(out))
    assert [r['sample_idx'] for r in records] == [0, 1, 2]
    assert records[0]['img_path'] == 'a/0.png'
    assert records[0]['ori_shape'] == (2, 3)
    # Only pred_* fields; ground truth and seg_logits stay out by default.
    assert sorted(k for k in records[0] if k.startswith(('pred', 'gt'))) == [
        'pred_depth'
    ]
    np.testing.assert_array_equal(records[0]['pred_depth'], depth.numpy())
    np.testing.assert_array_equal(records[1]['pred_depth'], 2 * depth.numpy())
    assert records[1]['pred_normal'].shape == (3, 2, 3)
    assert 'seg_logits' not in records[2]

    # Explicit keys select what is dumped.
    hook = DumpPredictionsHook(str(out), keys=['seg_logits'])
    hook.before_test(runner)
    hook.after_test_iter(
        runner, 0, None, [sample(0, seg_logits=torch.ones(4, 2, 3))]
    )
    hook.after_test_epoch(runner)
    assert mmengine.load(str(out))[0]['seg_logits'].shape == (4, 2, 3)


def test_refuses_other_formats(tmp_path):
    with pytest.raises(ValueError, match=r'\.pkl or \.pickle.*preds\.npz'):
        DumpPredictionsHook(str(tmp_path / 'preds.npz'))
