"""Config mistakes end the tools with one message, before the Runner logs
its environment and dumps the config."""

import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(
    ROOT,
    'configs',
    'v2_joint',
    'v2-joint_lightenc_1xb8-300it_synthrooms-dsr-x8.py',
)


def _run(*args):
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize('tool', ['train.py', 'test.py', 'quick_start.py'])
def test_missing_config_file_is_one_line_and_status_2(tool, tmp_path):
    missing = str(tmp_path / 'no_such_config.py')
    args = [osp.join(ROOT, 'tools', tool)]
    args += ['--config', missing] if tool == 'quick_start.py' else [missing]
    result = _run(*args)
    assert result.returncode == 2
    assert result.stderr == f'error: config file not found: {missing}\n'
    assert result.stdout == ''


@pytest.mark.parametrize(
    'option, message',
    [
        (
            'model.colour_encoder.chanels=[8,8,8,8]',
            'model.colour_encoder.chanels: unknown argument of '
            "LightConvEncoder; did you mean 'channels'?",
        ),
        (
            'train_cfg.max_iters=abc',
            'train_cfg.max_iters: IterBasedTrainLoop expects int, got the '
            "string 'abc'.",
        ),
    ],
)
def test_config_errors_come_before_the_config_dump(option, message, tmp_path):
    result = _run(
        osp.join(ROOT, 'tools', 'train.py'),
        CONFIG,
        '--work-dir',
        str(tmp_path),
        '--cfg-options',
        option,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(f'ERROR: Invalid config {CONFIG}')
    assert message in result.stderr
    output = result.stdout + result.stderr
    assert 'System environment' not in output and 'Config:' not in output
    assert len(output.splitlines()) == 2  # title + the one problem
