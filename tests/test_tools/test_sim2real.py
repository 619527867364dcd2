"""tools/analysis_tools/sim2real.py on tiny synthetic sets in the shipped
formats: the bicubic column is the protocol's bicubic (numpy + PIL), the
ratio is model / bicubic, and a tiny random-weight joint model runs."""

import importlib.util
import json
import os.path as osp

import numpy as np
import pytest
import torch
from _analysis_configs import ROOT, write_configs

from mmdepthsr.testing.dsr_benchmarks import (
    reference_bicubic_rmse,
    write_dsr_benchmark_set,
)

BICUBIC_CONFIG = """
default_scope = 'mmdepthsr'
model = dict(
    type='BicubicBaseline', scale_factor=4, kernel='pil',
    data_preprocessor=dict(type='DenseDataPreprocessor'))
"""


def _tool():
    path = osp.join(ROOT, 'tools', 'analysis_tools', 'sim2real.py')
    spec = importlib.util.spec_from_file_location('sim2real_tool', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _step_map(shape, low, high):
    depth = np.full(shape, low, np.int64)
    depth[:, shape[1] // 2 :] = high
    depth[2:5, 1:4] = (low + high) // 2
    return depth


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('dsr_benchmarks')
    maps = dict(
        Middlebury=[_step_map((18, 21), 0, 255), _step_map((17, 24), 40, 90)],
        Lu=[_step_map((16, 22), 10, 200)],
        RGBDD=[_step_map((20, 20), 900, 2400), _step_map((20, 20), 0, 3000)],
    )
    for folder, depths in maps.items():
        write_dsr_benchmark_set(str(root), folder, depths)
    return str(root), maps


def test_bicubic_column_ratio_and_json(data_root, tmp_path, capsys):
    root, maps = data_root
    config = tmp_path / 'bicubic.py'
    config.write_text(BICUBIC_CONFIG)
    out = str(tmp_path / 'sim2real.json')
    argv = [str(config), 'none', '--data-root', root, '--partial-sets']
    _tool().main([*argv, '--out', out])
    with open(out) as f:
        results = json.load(f)
    rows = {row['set']: row for row in results['results']}
    assert list(rows) == ['middlebury', 'lu', 'rgbdd']
    folders = dict(middlebury='Middlebury', lu='Lu', rgbdd='RGBDD')
    for subset, row in rows.items():
        rgbdd = subset == 'rgbdd'
        expected = np.mean(
            [
                reference_bicubic_rmse(m, 4, not rgbdd, 0.1 if rgbdd else 1)
                for m in maps[folders[subset]]
            ]
        )
        assert row['bicubic_rmse'] == pytest.approx(expected, rel=1e-5)
        # the model is bicubic itself: the same RMSE, ratio 1
        assert row['rmse'] == pytest.approx(row['bicubic_rmse'], rel=1e-6)
        assert row['ratio'] == pytest.approx(1.0, rel=1e-6)
        assert row['images'] == len(maps[folders[subset]])
        assert row['complete'] is False
        assert row['scale'] == 4
        assert row['ms_per_image'] > 0
        assert row['unit'] == ('cm' if rgbdd else 'raw')
    assert rows['middlebury']['dctnet_published'] == 1.10
    assert rows['rgbdd']['dctnet_published'] == 1.08
    assert results['input']['normalize'] == 'hr_minmax'
    assert results['input']['network_input'] == 'hr_minmax'
    stdout = capsys.readouterr().out
    assert 'Real DSR test sets' in stdout and '(partial)' in stdout


def test_tiny_random_joint_model(data_root, tmp_path, capsys):
    root, _ = data_root
    _, joint = write_configs(str(tmp_path))
    tool = _tool()
    from mmdepthsr.apis import init_model

    torch.manual_seed(0)
    with pytest.warns(UserWarning, match='random'):
        model = init_model(joint)
    checkpoint = str(tmp_path / 'tiny.pth')
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    out = str(tmp_path / 'joint.json')
    tool.main(
        [joint, checkpoint, '--data-root', root, '--partial-sets']
        + ['--sets', 'lu', 'rgbdd', '--max-images', '1', '--out', out]
    )
    with open(out) as f:
        results = json.load(f)
    rows = results['results']
    assert [r['set'] for r in rows] == ['lu', 'rgbdd']
    for row in rows:
        assert row['images'] == 1
        assert np.isfinite(row['rmse']) and row['rmse'] > 0
        assert row['ratio'] == pytest.approx(row['rmse'] / row['bicubic_rmse'])
    # tiled, per-tile LR max: the HR range does not reach the network
    assert results['input']['normalize'] == 'hr_minmax'
    assert results['input']['network_input'].startswith('per_tile_lr_max')
    # a model of another scale has no protocol config
    with pytest.raises(ValueError, match='4, 8 and 16'):
        tool.scale_of(torch.nn.Module())
