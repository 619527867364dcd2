"""The own-data configs train for 2 iterations and test on a fixture
folder, through tools/train.py and tools/test.py as a user runs them."""

import glob
import json
import os
import os.path as osp
import re
import subprocess
import sys

import pytest
from mmengine.config import Config

from mmdepthsr.registry import DATASETS
from mmdepthsr.testing.depth_folder import write_depth_folder
from mmdepthsr.utils import register_all_modules

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MDE = 'configs/cliffnet/cliffnet_r50_1xb8-20k_depth-folder-256x320.py'
DSR = 'configs/v3_fusion/v3-fusion_lightenc_1xb8-20k_depth-folder-dsr-x8.py'

# Small crops, batches and no worker processes for the 2-iteration runs;
# everything else (dataset, loaders, evaluators) is the config's.
OVERRIDES = """
_base_ = [{config!r}]
data_root = {root!r}
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=[
        dict(step, crop_size={crop}) if step.type == 'RandomCrop' else step
        for step in _base_.train_pipeline
    ]),
)
val_dataloader = dict(
    num_workers=0, persistent_workers=False, dataset=dict(data_root=data_root)
)
test_dataloader = val_dataloader
train_cfg = dict(max_iters=2, val_interval=2)
param_scheduler = []
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=2))
"""


def _doc_snippets():
    """The Python blocks of docs/dataset_prepare.md, "Your own data"."""
    text = open(osp.join(ROOT, 'docs', 'dataset_prepare.md')).read()
    section = text.split('## Your own data')[1].split('\n## ')[0]
    return re.findall(r'```python\n(.*?)```', section, re.S)


def _write_snippet(path, snippet, base):
    """A docs snippet whose ``_base_`` is ``base`` instead of the config
    next to it."""
    text, count = re.subn(r"_base_ = \['\./[^']+'\]", '', snippet)
    assert count == 1
    path.write_text(f'_base_ = [{base!r}]\n' + text)
    return str(path)


def _run(script, *args):
    env = dict(os.environ, PYTHONPATH=ROOT)
    result = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', script), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, (
        result.stdout[-3000:] + result.stderr[-3000:]
    )
    return result.stdout + result.stderr


def test_base_configs_point_at_data_my_rgbd():
    for config in (MDE, DSR):
        cfg = Config.fromfile(osp.join(ROOT, config))
        for loader in ('train_dataloader', 'val_dataloader'):
            dataset = cfg[loader].dataset
            assert dataset.type == 'DepthFolderDataset'
            assert dataset.data_root == 'data/my_rgbd'
            assert dataset.depth_scale == 1000.0
        assert cfg.train_dataloader.dataset.split == 'train'
        assert cfg.val_dataloader.dataset.split == 'val'
    cfg = Config.fromfile(osp.join(ROOT, DSR))
    assert cfg.model.scale_factor == 8 == cfg.scale_factor
    steps = {s.type: s for s in cfg.test_dataloader.dataset.pipeline}
    assert steps['GenerateLRDepth'].scale_factor == 8


def test_docs_float_metres_snippet(tmp_path):
    register_all_modules()
    data = write_depth_folder(
        str(tmp_path / 'data'), num=2, depth_format='npy', splits=dict(val=[1])
    )
    snippet = _doc_snippets()[0]
    assert 'depth_scale=None' in snippet
    config = _write_snippet(
        tmp_path / 'metres.py', snippet, osp.join(ROOT, MDE)
    )
    cfg = Config.fromfile(config)
    assert cfg.test_dataloader.dataset.depth_scale is None
    dataset = DATASETS.build(
        dict(cfg.val_dataloader.dataset, data_root=data['root'])
    )
    sample = dataset[0]['data_samples']
    assert sample.gt_depth.data[0].numpy().tolist() == (
        data['frames'][1]['depth'].tolist()
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    'config,crop,keys',
    [
        (MDE, (48, 64), ('abs_rel', 'rmse', 'a1', 'silog')),
        (DSR, (32, 32), ('rmse', 'mad', 'depth/rmse', 'depth/abs_rel')),
    ],
    ids=['mde', 'dsr'],
)
def test_train_and_test_on_a_folder(tmp_path, config, crop, keys):
    root = str(tmp_path / 'my_rgbd')
    write_depth_folder(
        root,
        num=4,
        shape=(64, 96),
        lr_scale=8,
        splits=dict(train=[0, 1, 2], val=[3]),
    )
    path = tmp_path / 'own.py'
    path.write_text(
        OVERRIDES.format(config=osp.join(ROOT, config), root=root, crop=crop)
    )
    work_dir = str(tmp_path / 'work')
    _run('train.py', str(path), '--work-dir', work_dir)
    checkpoint = osp.join(work_dir, 'iter_2.pth')
    assert osp.isfile(checkpoint)
    # no --work-dir: the results land next to the checkpoint
    _run('test.py', str(path), checkpoint)
    (results,) = glob.glob(osp.join(work_dir, 'test_*.json'))
    metrics = json.load(open(results))['metrics']
    # every metric of the config, finite; depths (m) and SR errors (cm)
    # within the range of the rooms (< 10 m), the ratios in [0, 1]
    for key in keys:
        assert 0 <= metrics[key] < 1000, (key, metrics)
    assert 0 < metrics['rmse'] < (10.0 if config == MDE else 1000.0)
    ratio = 'a1' if config == MDE else 'depth/a1'
    assert 0 <= metrics[ratio] <= 1
    if config == DSR:
        # the same checkpoint on the measured LR maps of lr_depth/, with the
        # docs' config
        measured = _write_snippet(
            tmp_path / 'measured.py', _doc_snippets()[1], str(path)
        )
        out = str(tmp_path / 'measured_work')
        _run('test.py', measured, checkpoint, '--work-dir', out)
        (results,) = glob.glob(osp.join(out, 'test_*.json'))
        measured_metrics = json.load(open(results))['metrics']
        # another LR input, another SR error; the monocular branch ignores it
        assert measured_metrics['rmse'] != metrics['rmse']
        assert measured_metrics['depth/rmse'] == metrics['depth/rmse']
