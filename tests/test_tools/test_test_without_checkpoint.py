"""tools/test.py with CHECKPOINT 'none' for a model without parameters.

BicubicBaseline on a tiny SynthRooms x8 set: the reported RMSE must be the
one computed here from the dataset, the degradation and torch's bicubic
interpolation.
"""

import importlib.util
import json
import os
import os.path as osp
import re
import socket
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmdepthsr.datasets.synth_rooms import SynthRoomsDataset
from mmdepthsr.datasets.transforms import GenerateLRDepth

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TEST_PY = osp.join(ROOT, 'tools', 'test.py')
NUM_SAMPLES = 2
IMG_SHAPE = (48, 64)
SCALE = 8
BORDER = 6

CONFIG = f"""
_base_ = [{osp.join(ROOT, 'configs', '_base_', 'default_runtime.py')!r}]
model = dict(
    type='BicubicBaseline', scale_factor={SCALE},
    data_preprocessor=dict(type='DenseDataPreprocessor'))
test_dataloader = dict(
    batch_size=2,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='SynthRoomsDataset', split='test', num_samples={NUM_SAMPLES},
        img_shape={IMG_SHAPE},
        pipeline=[
            dict(type='GenerateLRDepth', scale_factor={SCALE},
                 method='bicubic_pil'),
            dict(type='PackDenseInputs'),
        ]))
test_evaluator = dict(type='SRMetric', border={BORDER}, unit='cm')
test_cfg = dict(type='TestLoop')
"""


def expected_rmse_cm():
    dataset = SynthRoomsDataset(
        split='test', num_samples=NUM_SAMPLES, img_shape=IMG_SHAPE
    )
    degrade = GenerateLRDepth(scale_factor=SCALE, method='bicubic_pil')
    values = []
    for i in range(NUM_SAMPLES):
        results = degrade(dict(dataset[i]))
        lr = torch.from_numpy(results['lr_depth'])[None, None]
        pred = (
            F.interpolate(
                lr, size=IMG_SHAPE, mode='bicubic', align_corners=False
            )[0, 0]
            .double()
            .numpy()
        )
        gt = results['gt_depth'].astype(np.float64)
        b = BORDER
        pred, gt = pred[b:-b, b:-b], gt[b:-b, b:-b]
        valid = gt > 0
        values.append(np.sqrt(np.mean((pred[valid] - gt[valid]) ** 2)) * 100.0)
    return float(np.mean(values))


@pytest.mark.slow  # one ~6 s run of tools/test.py
def test_none_checkpoint_runs_a_parameter_free_model(tmp_path):
    config = str(tmp_path / 'tiny_bicubic.py')
    with open(config, 'w') as f:
        f.write(CONFIG)
    work_dir = str(tmp_path / 'work')
    proc = subprocess.run(
        [sys.executable, TEST_PY, config, 'none', '--work-dir', work_dir],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = dict(re.findall(r'^\| (\S+)\s+\| (.+?)\s+\|$', proc.stdout, re.M))
    expected = expected_rmse_cm()
    assert expected > 1.0  # x8 bicubic on 48 x 64 rooms is far from exact
    assert rows['rmse'] == f'{expected:.4f}'
    assert rows['checkpoint'] == 'none (model without parameters)'
    (name,) = [f for f in os.listdir(work_dir) if f.endswith('.json')]
    with open(osp.join(work_dir, name)) as f:
        results = json.load(f)
    assert results['checkpoint'] is None
    assert results['metrics']['rmse'] == pytest.approx(expected, rel=1e-5)


def _load_tool():
    spec = importlib.util.spec_from_file_location('test_tool', TEST_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_none_checkpoint_parsing_and_parameter_check():
    tool = _load_tool()
    assert tool.parse_args(['cfg.py', 'none']).checkpoint is None
    assert tool.parse_args(['cfg.py', 'NONE']).checkpoint is None
    assert tool.parse_args(['cfg.py']).checkpoint is None
    assert tool.parse_args(['cfg.py', 'a.pth']).checkpoint == 'a.pth'
    tool.check_parameter_free(torch.nn.Identity(), 'cfg.py')
    with pytest.raises(ValueError, match='Linear of cfg.py has 3 parameters'):
        tool.check_parameter_free(torch.nn.Linear(2, 1), 'cfg.py')


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.mark.slow  # two gloo processes through torchrun
def test_dist_test_runs_a_parameter_free_model(tmp_path):
    """DDP refuses a model without trainable parameters; the runner leaves
    it unwrapped, each of the 2 processes tests one sample and the metric
    gathers both."""
    config = str(tmp_path / 'tiny_bicubic.py')
    with open(config, 'w') as f:
        f.write(CONFIG)
    work_dir = str(tmp_path / 'work')
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(_free_port()))
    for key in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_ADDR'):
        env.pop(key, None)
    proc = subprocess.run(
        [
            'bash',
            osp.join(ROOT, 'tools', 'dist_test.sh'),
            config,
            'none',
            '2',
            '--work-dir',
            work_dir,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    assert 'world_size 2' in output
    assert 'BicubicBaseline has no trainable parameters: not wrapped' in output
    (name,) = [f for f in os.listdir(work_dir) if f.endswith('.json')]
    with open(osp.join(work_dir, name)) as f:
        results = json.load(f)
    assert results['num_samples'] == NUM_SAMPLES
    assert results['metrics']['rmse'] == pytest.approx(
        expected_rmse_cm(), rel=1e-5
    )
