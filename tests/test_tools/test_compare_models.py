"""benchmarks/compare_models.py on a parameter-free model (test only)."""

import importlib.util
import json
import os.path as osp

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(ROOT, 'benchmarks', 'compare_models.py')
CONFIG = osp.join(ROOT, 'configs', 'bicubic', 'bicubic_x8_synthrooms-dsr.py')


def _load_script():
    spec = importlib.util.spec_from_file_location('compare_models', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bicubic_row(tmp_path, capsys):
    script = _load_script()
    out = tmp_path / 'compare.json'
    results = script.main(
        [
            CONFIG,
            '--work-dir',
            str(tmp_path),
            '--test-num',
            '2',
            '--warmup',
            '0',
            '--timed',
            '1',
            '--metrics',
            'rmse',
            'mad',
            '--out',
            str(out),
        ]
    )
    (row,) = results
    assert row['params'] == 0 and row['train_seconds'] is None
    assert set(row['metrics']) >= {'rmse', 'mad'}
    assert 0 < row['metrics']['mad'] <= row['metrics']['rmse']
    assert row['infer_seconds_per_image'] > 0
    assert json.loads(out.read_text())[0]['metrics'] == row['metrics']
    table = capsys.readouterr().out
    header = (
        '| config | params (M) | iters x batch | train (min) | rmse | mad |'
    )
    assert header in table
    assert '| `bicubic_x8_synthrooms-dsr` | 0.00 | - | - |' in table
