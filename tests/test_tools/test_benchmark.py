"""tools/analysis_tools/benchmark.py: the fields it reports (never the
times themselves), the synthetic inputs and the warm-up / timed calls."""

import importlib.util
import json
import os.path as osp
import re

import pytest
import torch
from _analysis_configs import ROOT, write_configs

from mmdepthsr.utils import cpu_model


def _tool():
    path = osp.join(ROOT, 'tools', 'analysis_tools', 'benchmark.py')
    spec = importlib.util.spec_from_file_location('benchmark_tool', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def configs(tmp_path_factory):
    return write_configs(str(tmp_path_factory.mktemp('benchmark')))


def test_reports_device_dtype_and_speed(configs, tmp_path, capsys):
    out = str(tmp_path / 'speed.json')
    argv = [configs[0], '--shape', '24', '32', '--batch', '2']
    argv += ['--warmup', '1', '--iters', '3', '--out', out]
    _tool().main([*argv, '--amp', '--channels-last'])
    stdout = capsys.readouterr().out
    with open(out) as f:
        results = json.load(f)
    assert (
        results['device']
        == f'{cpu_model()} ({torch.get_num_threads()} threads)'
    )
    assert results['torch'] == torch.__version__
    assert results['dtype'] == 'bfloat16'
    assert results['inference'] == dict(
        amp='bf16', channels_last=True, compile=False
    )
    assert (results['batch'], results['shape']) == (2, [24, 32])
    assert (results['warmup'], results['iters']) == (1, 3)
    assert results['mode'] == 'whole'
    assert results['checkpoint'] is None
    # frames/s and ms/frame describe the same 6 frames
    assert results['fps'] * results['ms_per_frame'] == pytest.approx(1000.0)
    rows = dict(re.findall(r'^\| (\S+)\s+\| (.+?)\s+\|$', stdout, re.M))
    assert rows['dtype'] == 'bfloat16'
    assert rows['fps'] == f'{results["fps"]:.2f}'
    assert rows['device'] == results['device']


def test_dsr_model_gets_lr_depth_and_mode(configs, tmp_path, monkeypatch):
    tool = _tool()
    batches = []
    time_test_step = tool.time_test_step

    def record(model, batch, warmup, iters, device):
        batches.append((model.test_cfg['mode'], batch))
        return time_test_step(model, batch, 0, 1, device)

    monkeypatch.setattr(tool, 'time_test_step', record)
    for mode in (None, 'whole'):
        out = str(tmp_path / f'{mode}.json')
        argv = [configs[1], '--shape', '32', '48', '--batch', '3']
        argv += ['--out', out] + ([] if mode is None else ['--mode', mode])
        tool.main(argv)
        with open(out) as f:
            assert json.load(f)['mode'] == (mode or 'slide')
    assert [m for m, _ in batches] == ['slide', 'whole']
    batch = batches[0][1]
    assert [tuple(i.shape) for i in batch['inputs']] == [(3, 32, 48)] * 3
    for sample in batch['data_samples']:
        assert sample.lr_depth.data.shape == (1, 8, 12)
        assert sample.metainfo['scale_factor'] == 4
    with pytest.raises(SystemExit, match='not divisible by its scale_factor'):
        tool.main([configs[1], '--shape', '30', '48'])


def test_warmup_then_timed_calls_without_gradients():
    calls = []

    class Counting(torch.nn.Module):
        def test_step(self, batch):
            calls.append(torch.is_grad_enabled())

    seconds = _tool().time_test_step(Counting(), {}, 2, 3, 'cpu')
    assert calls == [False] * 5
    assert seconds >= 0
