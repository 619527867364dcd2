"""tools/test.py end to end on a tiny SynthRooms config.

The model is :class:`MeanDepthBaseline`, whose only state (the constant
depth) comes from the checkpoint, so every number the tool reports can be
computed by hand from the rendered ground truth.
"""

import importlib.util
import json
import os
import os.path as osp
import re
import subprocess
import sys
from collections import OrderedDict

import cv2
import mmengine
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from mmengine.logging import MessageHub

from mmdepthsr.datasets.synth_rooms import SynthRoomsDataset
from mmdepthsr.evaluation.metrics import DEPTH_METRIC_KEYS
from mmdepthsr.registry import METRICS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TEST_PY = osp.join(ROOT, 'tools', 'test.py')

NUM_SAMPLES = 3
IMG_SHAPE = (24, 32)
MEAN_DEPTH = 2.0
PANEL_PAD = 4  # DenseVisualizationHook's default gap between panels
TITLE_H = 14  # render_figure's title strip above tiles this small

CONFIG = f"""
_base_ = [{osp.join(ROOT, 'configs', '_base_', 'default_runtime.py')!r}]
model = dict(
    type='MeanDepthBaseline',
    data_preprocessor=dict(
        type='DenseDataPreprocessor', mean=[128.0] * 3, std=[1.0] * 3))
test_dataloader = dict(
    batch_size=2,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='SynthRoomsDataset', split='test', num_samples={NUM_SAMPLES},
        img_shape={IMG_SHAPE}, pipeline=[dict(type='PackDenseInputs')]))
test_evaluator = dict(type='DepthMetric', min_depth=1e-3, max_depth=10.0)
test_cfg = dict(type='TestLoop')
"""


def write_config_and_checkpoint(folder):
    """A tiny test config and a checkpoint laid out as the Runner saves it
    (``meta``, ``state_dict``, ``message_hub`` with a ``HistoryBuffer``,
    which ``torch.load(weights_only=True)`` refuses: the tool must load it
    as trusted)."""
    config = osp.join(folder, 'tiny_mean_depth.py')
    with open(config, 'w') as f:
        f.write(CONFIG)
    hub = MessageHub.get_instance('test_tools_test_py')
    hub.update_scalar('train/loss', 1.0)
    checkpoint = osp.join(folder, 'iter_1.pth')
    torch.save(
        dict(
            meta=dict(iter=1, epoch=0),
            state_dict=OrderedDict(mean_depth=torch.tensor(MEAN_DEPTH)),
            message_hub=hub.state_dict(),
        ),
        checkpoint,
    )
    return config, checkpoint


def expected_metrics():
    """abs_rel, a1 and rmse of the constant prediction, per image (GT in
    (1e-3, 10) m) then averaged over images."""
    dataset = SynthRoomsDataset(
        split='test', num_samples=NUM_SAMPLES, img_shape=IMG_SHAPE
    )
    per_image = []
    for i in range(NUM_SAMPLES):
        gt = dataset[i]['gt_depth'].astype(np.float64)
        gt = gt[(gt > 1e-3) & (gt < 10.0)]
        pred = np.full_like(gt, MEAN_DEPTH)
        per_image.append(
            dict(
                abs_rel=np.mean(np.abs(pred - gt) / gt),
                a1=np.mean(np.maximum(pred / gt, gt / pred) < 1.25),
                rmse=np.sqrt(np.mean((pred - gt) ** 2)),
            )
        )
    return {k: float(np.mean([m[k] for m in per_image])) for k in per_image[0]}


@pytest.fixture(scope='module')
def tool_run(tmp_path_factory):
    """Run tools/test.py once with --work-dir, --out and --show-dir."""
    folder = str(tmp_path_factory.mktemp('test_py'))
    config, checkpoint = write_config_and_checkpoint(folder)
    work_dir = osp.join(folder, 'work')
    out = osp.join(folder, 'preds.pkl')
    show_dir = osp.join(folder, 'vis')
    proc = subprocess.run(
        [
            sys.executable,
            TEST_PY,
            config,
            checkpoint,
            '--work-dir',
            work_dir,
            '--out',
            out,
            '--show-dir',
            show_dir,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return dict(
        stdout=proc.stdout,
        config=config,
        checkpoint=checkpoint,
        work_dir=work_dir,
        out=out,
        show_dir=show_dir,
    )


@pytest.mark.slow  # shares one ~6 s run of tools/test.py
def test_prints_header_and_metric_table(tool_run):
    stdout = tool_run['stdout']
    expected = expected_metrics()
    rows = dict(re.findall(r'^\| (\S+)\s+\| (\S+)\s+\|$', stdout, re.M))
    for key in DEPTH_METRIC_KEYS:
        assert key in rows, f'no row for {key} in:\n{stdout}'
    for key, value in expected.items():
        assert rows[key] == f'{value:.4f}'
    assert 'Test of tiny_mean_depth' in stdout
    assert tool_run['checkpoint'] in stdout
    assert rows['DepthMetric.max_depth'] == '10.0'
    assert re.search(
        r'^\| DepthMetric\.averaging\s+\| per-image mean\s+\|$', stdout, re.M
    )


@pytest.mark.slow  # shares one ~6 s run of tools/test.py
def test_results_json_records_metrics_and_protocol(tool_run):
    files = [
        f
        for f in os.listdir(tool_run['work_dir'])
        if re.fullmatch(r'test_\d{8}_\d{6}\.json', f)
    ]
    assert len(files) == 1
    with open(osp.join(tool_run['work_dir'], files[0])) as f:
        results = json.load(f)
    assert sorted(results['metrics']) == sorted(DEPTH_METRIC_KEYS)
    for key, value in expected_metrics().items():
        assert results['metrics'][key] == pytest.approx(value, rel=1e-6)
    protocol = results['protocol']['DepthMetric']
    assert protocol['crop'] is None
    assert protocol['min_depth'] == 1e-3
    assert protocol['averaging'] == 'per-image mean'
    assert results['checkpoint'] == osp.abspath(tool_run['checkpoint'])
    assert results['config'] == osp.abspath(tool_run['config'])
    assert results['num_samples'] == NUM_SAMPLES
    assert re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d', results['time'])


@pytest.mark.slow  # shares one ~6 s run of tools/test.py
def test_out_holds_one_prediction_per_sample(tool_run):
    results = mmengine.load(tool_run['out'])
    assert len(results) == NUM_SAMPLES
    assert [r['sample_idx'] for r in results] == list(range(NUM_SAMPLES))
    for i, record in enumerate(results):
        assert record['img_path'] == f'synthrooms/test/{i:06d}'
        pred = record['pred_depth']
        assert isinstance(pred, np.ndarray)
        assert pred.shape == (1, *IMG_SHAPE)  # the GT's shape
        assert pred.dtype == np.float32
        # The constant comes from the checkpoint (unfitted, it would fail).
        assert np.all(pred == MEAN_DEPTH)


@pytest.mark.slow  # shares one ~6 s run of tools/test.py
def test_show_dir_holds_one_figure_per_sample(tool_run):
    names = sorted(os.listdir(tool_run['show_dir']))
    assert names == [f'{i:06d}.png' for i in range(NUM_SAMPLES)]
    assert (
        f'Figures written to {osp.abspath(tool_run["show_dir"])}'
        in tool_run['stdout']
    )
    height, width = IMG_SHAPE
    dataset = SynthRoomsDataset(
        split='test', num_samples=NUM_SAMPLES, img_shape=IMG_SHAPE
    )
    for i, name in enumerate(names):
        figure = cv2.imread(osp.join(tool_run['show_dir'], name))[..., ::-1]
        # Two rows under title strips: RGB | monocular depth | ground
        # truth | colour bar, then the error under the prediction.
        assert figure.shape[0] == 2 * (TITLE_H + height) + PANEL_PAD
        assert figure.shape[1] > 3 * width + 2 * PANEL_PAD
        # The first panel is the dataset's RGB image, unchanged.
        rgb = figure[TITLE_H : TITLE_H + height, :width]
        np.testing.assert_array_equal(rgb, dataset[i]['img'])
        # The prediction (constant) is one colour of the depth scale.
        pred = figure[TITLE_H : TITLE_H + height, width + PANEL_PAD :][
            :, :width
        ]
        assert len(np.unique(pred.reshape(-1, 3), axis=0)) == 1


def _load_tool():
    spec = importlib.util.spec_from_file_location('test_tool', TEST_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bad_arguments_exit_with_a_message(tmp_path):
    tool = _load_tool()
    config, checkpoint = write_config_and_checkpoint(str(tmp_path))
    missing = str(tmp_path / 'nope.pth')
    with pytest.raises(SystemExit, match=f'checkpoint {missing} not found'):
        tool.main([config, missing])
    with pytest.raises(SystemExit, match=r'--out must be a \.pkl file'):
        tool.main([config, checkpoint, '--out', str(tmp_path / 'p.json')])


def test_show_dir_switches_on_an_existing_hook_or_adds_one():
    tool = _load_tool()
    cfg = Config(
        dict(
            default_hooks=dict(
                visualization=dict(type='DenseVisualizationHook', draw=False)
            ),
            custom_hooks=[dict(type='RNGStateHook')],
        )
    )
    tool.add_visualization_hook(cfg, 'vis')
    assert cfg.default_hooks.visualization.to_dict() == dict(
        type='DenseVisualizationHook', draw=True, interval=1, out_dir='vis'
    )
    assert [h['type'] for h in cfg.custom_hooks] == ['RNGStateHook']

    cfg = Config(dict(custom_hooks=[dict(type='RNGStateHook')]))
    tool.add_visualization_hook(cfg, 'vis')
    assert cfg.custom_hooks[-1] == dict(
        type='DenseVisualizationHook', draw=True, interval=1, out_dir='vis'
    )
    assert len(cfg.custom_hooks) == 2


def test_metric_protocols_include_multi_task_sub_metrics():
    tool = _load_tool()
    evaluator = Evaluator(
        METRICS.build(
            dict(
                type='MultiTaskMetric',
                metrics=[
                    dict(type='DepthMetric', prefix='depth', crop='garg'),
                    dict(type='SRMetric', prefix='sr', border=2),
                ],
                baselines={'depth/abs_rel': 0.1, 'sr/rmse': 4.0},
            )
        )
    )
    protocols = tool.metric_protocols(evaluator)
    assert list(protocols) == [
        'MultiTaskMetric',
        'DepthMetric[depth]',
        'SRMetric[sr]',
    ]
    assert protocols['MultiTaskMetric']['baselines'] == {
        'depth/abs_rel': 0.1,
        'sr/rmse': 4.0,
    }
    assert protocols['DepthMetric[depth]']['crop'] == 'garg'
    assert protocols['SRMetric[sr]']['border'] == 2
