"""tools/quick_start.py on a tiny budget (the real run takes minutes)."""

import glob
import json
import os.path as osp
import re
import subprocess
import sys

import mmengine
import pytest
from mmengine.config import Config

from mmdepthsr.models.utils.seams import SeamAccumulator, slide_tile_boxes

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
QUICK_START = osp.join(ROOT, 'tools', 'quick_start.py')
ITERS_SCALE = 0.01

NUM_TRAIN, NUM_TEST = 2, 2
TINY = [
    f'train_dataloader.dataset.dataset.num_samples={NUM_TRAIN}',
    f'test_dataloader.dataset.num_samples={NUM_TEST}',
    'train_dataloader.batch_size=2',
    'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'test_dataloader.num_workers=0',
    'test_dataloader.persistent_workers=False',
]


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
    # the configured iterations, scaled by ITERS_SCALE (at least 1)
    (config,) = glob.glob(
        osp.join(
            ROOT,
            'configs',
            'v3_fusion',
            'v3-fusion_*-1000it-cos_synthrooms-dsr-x8.py',
        )
    )
    max_iters = Config.fromfile(config).train_cfg.max_iters
    iters = max(1, round(max_iters * ITERS_SCALE))
    assert f'[v3] {iters} iterations' in stdout
    assert osp.isfile(osp.join(work_dir, 'v3', f'iter_{iters}.pth'))

    header = re.search(
        r'^\| metric\s+\| bicubic\s+\| v3\s+\| better\s+\|$', stdout, re.M
    )
    assert header, stdout
    rows = {
        m[0].strip(): (m[1].strip(), float(m[2]), m[3].strip())
        for m in re.findall(
            r'^\| ([\w/ ()]+?)\s+\| ([\d.]+|-)\s+\| ([\d.]+)\s+\| ([^|]+)\|$',
            stdout,
            re.M,
        )
    }
    assert sorted(rows) == sorted(
        ['SR rmse (cm)', 'SR mad (cm)', 'depth/abs_rel', 'depth/a1']
        + ['depth/rmse']
    )

    with open(osp.join(work_dir, 'quick_start.json')) as f:
        summary = json.load(f)
    base, model = summary['baseline'], summary['model']
    for key in ('rmse', 'mad'):
        row = rows[f'SR {key} (cm)']
        assert float(row[0]) == round(base['metrics'][key], 4)
        assert row[1] == round(model['metrics'][key], 4)
    assert rows['depth/a1'][1] == round(model['metrics']['depth/a1'], 4)
    # both tests ran on the same protocol (SR metric in cm, 6 px border)
    assert base['protocol']['SRMetric']['border'] == 6
    assert model['protocol']['SRMetric']['border'] == 6

    # the verdict, the table, the summary and the exit status agree
    wins = summary['model_beats_baseline']
    assert wins == (model['metrics']['rmse'] < base['metrics']['rmse'])
    winner = 'v3' if wins else 'bicubic'
    assert rows['SR rmse (cm)'][2] == winner
    assert f'SR rmse: {winner} is better' in stdout
    ratio = model['metrics']['rmse'] / base['metrics']['rmse']
    assert summary['rmse_ratio'] == pytest.approx(ratio)
    assert summary['target_met'] == (ratio <= 0.7)
    assert f'ratio {ratio:.3f}, target <= 0.7' in stdout
    assert proc.returncode == (0 if wins and ratio <= 0.7 else 1)
    # the cosine schedule was shortened with the iterations
    trained = Config.fromfile(osp.join(work_dir, 'v3.py'))
    (cosine,) = trained.param_scheduler
    assert (cosine['begin'], cosine['end'], cosine['T_max']) == (
        0,
        iters,
        iters,
    )

    # the seam ratio of both tiled outputs, from the dumped predictions
    seams = model['seam_ratio']
    assert sorted(seams) == ['pred_depth', 'pred_sr_depth']
    predictions = mmengine.load(osp.join(work_dir, 'test_v3.pkl'))
    assert len(predictions) == NUM_TEST
    test_cfg = Config.fromfile(config).model.test_cfg
    for field, ratio in seams.items():
        acc = SeamAccumulator()
        for sample in predictions:
            boxes = slide_tile_boxes(
                sample[field].shape[-2:],
                test_cfg.patch_size,
                test_cfg.get('stride'),
                test_cfg.get('margin', 0),
            )
            acc.add(sample[field], boxes)
        assert ratio == pytest.approx(acc.result()['ratio'])
        assert f'{field} {ratio:.3f}' in stdout


def test_scale_scheduler():
    sys.path.insert(0, osp.join(ROOT, 'tools'))
    try:
        from quick_start import scale_scheduler
    finally:
        sys.path.pop(0)
    cosine = dict(
        type='CosineAnnealingLR', T_max=1500, by_epoch=False, begin=0, end=1500
    )
    assert scale_scheduler(cosine, 0.1) == dict(cosine, T_max=150, end=150)
    step = dict(type='MultiStepLR', milestones=[100, 200], by_epoch=False)
    assert scale_scheduler(step, 0.5)['milestones'] == [50, 100]
    assert scale_scheduler(step, 0.001)['milestones'] == [1, 1]
    by_epoch = dict(type='MultiStepLR', milestones=[3], end=10)
    assert scale_scheduler(by_epoch, 0.5) == by_epoch
    warmup = dict(type='LinearLR', by_epoch=False, begin=100, end=300)
    assert scale_scheduler(warmup, 0.5) == dict(warmup, begin=50, end=150)
