"""tools/quick_start.py on a tiny budget (the real run takes minutes)."""

import glob
import json
import os.path as osp
import re
import subprocess
import sys

import numpy as np
import pytest
from mmengine.config import Config

from mmdepthsr.datasets.synth_rooms import SynthRoomsDataset
from mmdepthsr.evaluation.metrics import DEPTH_METRIC_KEYS
from mmdepthsr.models.estimators.mean_depth_baseline import fit_mean_depth

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
QUICK_START = osp.join(ROOT, 'tools', 'quick_start.py')
CONFIGS = osp.join(ROOT, 'configs', 'eigen2014')
ITERS_SCALE = 0.01

NUM_TRAIN, NUM_TEST = 6, 2
IMG_SHAPE = (240, 320)  # the SynthRooms configs' rendering size
TINY = [
    f'train_dataloader.dataset.num_samples={NUM_TRAIN}',
    f'test_dataloader.dataset.num_samples={NUM_TEST}',
    'train_dataloader.batch_size=2',
    'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'test_dataloader.num_workers=0',
    'test_dataloader.persistent_workers=False',
]


def baseline_abs_rel(mean_depth):
    """abs_rel of the constant ``mean_depth`` on the test samples (GT in
    (1e-3, 10) m, per image, then averaged)."""
    dataset = SynthRoomsDataset(
        split='test', num_samples=NUM_TEST, img_shape=IMG_SHAPE
    )
    values = []
    for i in range(NUM_TEST):
        gt = dataset[i]['gt_depth'].astype(np.float64)
        gt = gt[(gt > 1e-3) & (gt < 10.0)]
        values.append(np.mean(np.abs(mean_depth - gt) / gt))
    return float(np.mean(values))


@pytest.mark.slow
def test_quick_start_prints_both_columns(tmp_path):
    work_dir = str(tmp_path / 'qs')
    proc = subprocess.run(
        [
            sys.executable,
            QUICK_START,
            '--work-dir',
            work_dir,
            '--iters-scale',
            str(ITERS_SCALE),
            '--cfg-options',
            *TINY,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    stdout = proc.stdout
    assert proc.returncode in (0, 1), stdout[-3000:] + proc.stderr[-3000:]
    # The configured iterations, scaled by 0.01 (at least 1).
    iters = {}
    for stage in ('coarse', 'fine'):
        (config,) = glob.glob(
            osp.join(CONFIGS, f'eigen2014-{stage}_*synthrooms*.py')
        )
        configured = Config.fromfile(config).train_cfg.max_iters
        iters[stage] = max(1, round(configured * ITERS_SCALE))
        assert f'[{stage}] {iters[stage]} iterations' in stdout
    fine_ckpt = osp.join(work_dir, 'fine', f'iter_{iters["fine"]}.pth')
    assert osp.isfile(fine_ckpt)

    header = re.search(
        r'^\| metric\s+\| mean-depth baseline \| Eigen 2014 coarse\+fine\s+'
        r'\| better\s+\|$',
        stdout,
        re.M,
    )
    assert header, stdout
    rows = {
        m[0]: (float(m[1]), float(m[2]), m[3].strip())
        for m in re.findall(
            r'^\| (\w+)\s+\| ([\d.]+)\s+\| ([\d.]+)\s+\| ([^|]+)\|$',
            stdout,
            re.M,
        )
    }
    assert sorted(rows) == sorted(DEPTH_METRIC_KEYS)

    with open(osp.join(work_dir, 'quick_start.json')) as f:
        summary = json.load(f)
    train = SynthRoomsDataset(
        split='train', num_samples=NUM_TRAIN, img_shape=IMG_SHAPE
    )
    mean_depth = summary['baseline']['mean_depth']
    assert mean_depth == pytest.approx(fit_mean_depth(train), rel=1e-9)
    assert summary['baseline']['metrics']['abs_rel'] == pytest.approx(
        baseline_abs_rel(mean_depth), rel=1e-5
    )
    for key in DEPTH_METRIC_KEYS:
        baseline, model, _ = rows[key]
        assert baseline == round(summary['baseline']['metrics'][key], 4)
        assert model == round(summary['model']['metrics'][key], 4)
    assert summary['protocol']['DepthMetric']['max_depth'] == 10.0

    # The verdicts, the summary and the exit status agree.
    verdicts = summary['model_beats_baseline']
    assert sorted(verdicts) == ['a1', 'abs_rel']
    for key, wins in verdicts.items():
        winner = 'Eigen 2014 coarse+fine' if wins else 'mean-depth baseline'
        assert f'{key}: {winner} is better' in stdout
        assert rows[key][2] == winner
    assert proc.returncode == (0 if all(verdicts.values()) else 1)
