"""benchmarks/compare_multi_task.py: SOSD-Net single-task baselines and a
multi-task run at a two-iteration budget; delta_m checked by hand."""

import glob
import importlib.util
import json
import os.path as osp

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(ROOT, 'benchmarks', 'compare_multi_task.py')


def _config(prefix):
    (path,) = glob.glob(
        osp.join(ROOT, 'configs', 'sosdnet', f'{prefix}_lightenc_*synthrooms*')
    )
    return path


def _load_script():
    spec = importlib.util.spec_from_file_location('compare_multi_task', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_directions_and_baseline_errors():
    script = _load_script()
    from mmdepthsr.utils import register_all_modules

    register_all_modules(init_default_scope=False)
    assert script.direction('depth/abs_rel') is False
    assert script.direction('depth/a1') is True
    assert script.direction('mIoU') is True
    with pytest.raises(KeyError, match='loss'):
        script.direction('loss')
    runs = [
        dict(name='a', metrics={'mIoU': 1.0}),
        dict(name='b', metrics={'mIoU': 2.0, 'depth/a1': 0.5}),
    ]
    with pytest.raises(KeyError, match="'mIoU' is reported by 2"):
        script.baseline_values(runs, ['mIoU'])
    assert script.baseline_values(runs[1:], ['depth/a1']) == {'depth/a1': 0.5}


@pytest.mark.slow
def test_sosdnet_comparison_at_two_iterations(tmp_path, capsys):
    script = _load_script()
    out = tmp_path / 'compare.json'
    # a1 may be 0 after two iterations: rmse instead
    keys = ['depth/abs_rel', 'depth/rmse', 'mIoU']
    baselines, runs = script.main(
        [
            _config('sosdnet'),
            '--baseline',
            _config('sosdnet-depth'),
            '--baseline',
            _config('sosdnet-seg'),
            '--keys',
            *keys,
            '--iters',
            '2',
            '--batch-size',
            '2',
            '--test-num',
            '2',
            '--warmup',
            '0',
            '--timed',
            '1',
            '--work-dir',
            str(tmp_path),
            '--out',
            str(out),
        ]
    )
    (run,) = runs
    ref = {k: b['metrics'][k] for b in baselines for k in b['metrics']}
    m = run['metrics']
    expected = (
        100
        * (
            -(m['depth/abs_rel'] - ref['depth/abs_rel']) / ref['depth/abs_rel']
            - (m['depth/rmse'] - ref['depth/rmse']) / ref['depth/rmse']
            + (m['mIoU'] - ref['mIoU']) / ref['mIoU']
        )
        / 3
    )
    assert run['delta_m'] == pytest.approx(expected)
    # the multi-task model has both branches, the baselines one each
    assert run['params'] > max(b['params'] for b in baselines)
    saved = json.loads(out.read_text())
    assert saved['runs'][0]['delta_m'] == pytest.approx(run['delta_m'])
    table = capsys.readouterr().out
    assert '| config | params (M) | s / iter | depth/abs_rel |' in table
    assert '| baseline |' in table
