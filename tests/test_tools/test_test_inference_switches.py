"""tools/test.py --amp / --channels-last / --compile on a tiny two-conv
model: the predictions (--out) equal the float32 run within the format's
tolerance (see tests/test_apis/test_inference_switches.py) and the results
JSON records the switches. The tool runs in-process (main(argv)), where
the test-only model is registered."""

import glob
import importlib.util
import json
import os.path as osp
import sys

import mmengine
import numpy as np
import pytest
import torch

from mmdepthsr.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY_DIR = osp.join(ROOT, 'tests', 'test_apis')
if TINY_DIR not in sys.path:
    sys.path.insert(0, TINY_DIR)

import _tiny_conv_depth  # noqa: E402

#: Significant bits (with the implicit one) of each autocast format.
MANTISSA_BITS = dict(bf16=8, fp16=11)


def _load_tool():
    spec = importlib.util.spec_from_file_location(
        'test_tool_switches', osp.join(ROOT, 'tools', 'test.py')
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def tool_runs(tmp_path_factory):
    """Run tools/test.py without and with switches; returns a function
    ``run(name, *switches) -> (predictions, results JSON)``."""
    folder = tmp_path_factory.mktemp('test_py_switches')
    config = str(folder / 'tiny_conv_depth.py')
    with open(config, 'w') as f:
        f.write(_tiny_conv_depth.tiny_config_text(num_samples=3))
    checkpoint = str(folder / 'tiny.pth')
    model = mmengine.Config.fromfile(config).model
    torch.save(dict(state_dict=MODELS.build(model).state_dict()), checkpoint)
    tool = _load_tool()

    def run(name, *switches):
        work_dir = str(folder / name)
        out = str(folder / f'{name}.pkl')
        tool.main(
            [
                config,
                checkpoint,
                '--work-dir',
                work_dir,
                '--out',
                out,
                *switches,
                '--cfg-options',
                f'experiment_name={name}',
            ]
        )
        preds = np.stack([p['pred_depth'] for p in mmengine.load(out)])
        (json_file,) = glob.glob(osp.join(work_dir, 'test_*.json'))
        with open(json_file) as f:
            return preds, json.load(f)

    reference, results = run('fp32')
    assert results['inference'] == dict(
        amp=None, channels_last=False, compile=False
    )
    assert reference.shape == (3, 1, 24, 32)
    return run, reference


@pytest.mark.parametrize(
    'switches, amp',
    [(['--amp'], 'bf16'), (['--amp', 'fp16'], 'fp16')],
)
def test_amp(tool_runs, switches, amp):
    run, reference = tool_runs
    preds, results = run(f'amp_{amp}', *switches)
    assert results['inference'] == dict(
        amp=amp, channels_last=False, compile=False
    )
    assert preds.dtype == np.float32
    diff = np.abs(preds - reference).max()
    tol = 4 * 2.0 ** -MANTISSA_BITS[amp] * np.abs(reference).max()
    assert 0 < diff <= tol


def test_channels_last(tool_runs):
    run, reference = tool_runs
    preds, results = run('channels_last', '--channels-last')
    assert results['inference'] == dict(
        amp=None, channels_last=True, compile=False
    )
    assert np.abs(preds - reference).max() <= 1e-5


@pytest.mark.slow  # compiles the tiny model (about 10 s on 2 cores)
def test_compile(tool_runs):
    run, reference = tool_runs
    preds, results = run('compile', '--compile')
    assert results['inference'] == dict(
        amp=None, channels_last=False, compile=True
    )
    assert np.abs(preds - reference).max() <= 1e-5


def test_unknown_amp_value_is_refused(capsys):
    with pytest.raises(SystemExit):
        _load_tool().parse_args(['cfg.py', 'ckpt.pth', '--amp', 'fp8'])
    assert "invalid choice: 'fp8'" in capsys.readouterr().err
