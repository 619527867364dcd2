"""Strict checkpoints through tools/test.py and tools/train.py (load_from,
--resume, --non-strict), the checkpoint's SHA-256 in the results JSON, and
the toolbox's own checkpoints loading weights-only.

One toy model (tests/test_engine/_engine_toys.py) is trained for 2
iterations with 4 hidden channels; configs with 6 channels do not match.
"""

import glob
import hashlib
import json
import os.path as osp
import sys

import pytest
import torch

from mmdepthsr.utils import checkpoint as ckpt_utils

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOYS_DIR = osp.join(ROOT, 'tests', 'test_engine')
if TOYS_DIR not in sys.path:
    sys.path.insert(0, TOYS_DIR)

import _engine_toys  # noqa: E402
from test_train import _run  # noqa: E402

TRAIN = osp.join(ROOT, 'tools', 'train.py')
TEST = osp.join(ROOT, 'tools', 'test.py')

TEST_PART = """
test_dataloader = dict(
    batch_size=2, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='EngineToyDataset', length=4, random_aug=False))
test_evaluator = dict(type='EngineToyMetric')
test_cfg = dict(type='TestLoop')
"""

#: The keys the 6-channel model cannot take from the 4-channel checkpoint.
MIS_SHAPED = (
    'conv.weight: checkpoint (4, 3, 3, 3), model (6, 3, 3, 3)',
    'head.weight: checkpoint (1, 4, 1, 1), model (1, 6, 1, 1)',
)


def _config(folder, channels, max_iters=2):
    path = osp.join(folder, f'toy{channels}_{max_iters}.py')
    extra = TEST_PART + (
        f"model = dict(type='EngineToyNet', channels={channels})\n"
    )
    with open(path, 'w') as f:
        f.write(
            _engine_toys.toy_config_text(
                max_iters=max_iters, interval=2, with_val=False, extra=extra
            )
        )
    return path


def _output(result):
    return result.stdout + result.stderr


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """``(folder, checkpoint)`` of 2 iterations of the 4-channel toy."""
    folder = str(tmp_path_factory.mktemp('strict'))
    work_dir = osp.join(folder, 'train4')
    result = _run(
        [sys.executable, TRAIN, _config(folder, 4), '--work-dir', work_dir]
    )
    assert result.returncode == 0, _output(result)[-3000:]
    return folder, osp.join(work_dir, 'iter_2.pth')


def _results_json(work_dir):
    (path,) = glob.glob(osp.join(work_dir, 'test_*.json'))
    with open(path) as f:
        return json.load(f)


@pytest.mark.slow
def test_own_checkpoint_loads_weights_only(trained):
    _, checkpoint = trained
    # Untrusted and with the allow-list only: no fallback needed.
    ckpt = ckpt_utils.torch_load_checkpoint(checkpoint, trusted=False)
    assert ckpt['meta']['iter'] == 2
    assert 'train/loss' in ckpt['message_hub']['log_scalars']


@pytest.mark.slow
def test_matching_checkpoint_json_records_path_and_sha256(trained):
    folder, checkpoint = trained
    work_dir = osp.join(folder, 'test4')
    result = _run(
        [
            sys.executable,
            TEST,
            _config(folder, 4),
            checkpoint,
            '--work-dir',
            work_dir,
        ]
    )
    output = _output(result)
    assert result.returncode == 0, output[-3000:]
    assert 'weights_only=False' not in output
    assert 'does not match' not in output
    results = _results_json(work_dir)
    assert results['checkpoint'] == osp.abspath(checkpoint)
    with open(checkpoint, 'rb') as f:
        assert results['checkpoint_sha256'] == (
            hashlib.sha256(f.read()).hexdigest()
        )
    assert results['strict_load'] is True


@pytest.mark.slow
def test_mismatched_checkpoint_stops_tools_test(trained):
    folder, checkpoint = trained
    work_dir = osp.join(folder, 'test6')
    result = _run(
        [
            sys.executable,
            TEST,
            _config(folder, 6),
            checkpoint,
            '--work-dir',
            work_dir,
        ]
    )
    output = _output(result)
    assert result.returncode == 1, output[-3000:]
    assert f'ERROR: Checkpoint {checkpoint} does not match EngineToyNet' in (
        result.stderr
    )
    for entry in MIS_SHAPED:
        assert entry in result.stderr
    assert '--non-strict' in result.stderr
    assert glob.glob(osp.join(work_dir, 'test_*.json')) == []


@pytest.mark.slow
def test_non_strict_tools_test_goes_on_with_a_warning(trained):
    folder, checkpoint = trained
    work_dir = osp.join(folder, 'test6_non_strict')
    result = _run(
        [
            sys.executable,
            TEST,
            _config(folder, 6),
            checkpoint,
            '--work-dir',
            work_dir,
            '--non-strict',
        ]
    )
    output = _output(result)
    assert result.returncode == 0, output[-3000:]
    assert 'WARNING' in output and 'loaded the matching tensors only' in (
        output
    )
    for entry in MIS_SHAPED:
        assert entry in output
    results = _results_json(work_dir)
    assert results['strict_load'] is False
    assert results['checkpoint_sha256'] == ckpt_utils.file_sha256(checkpoint)


@pytest.mark.slow
def test_mismatched_load_from_stops_training(trained):
    folder, checkpoint = trained
    work_dir = osp.join(folder, 'load_from6')
    result = _run(
        [
            sys.executable,
            TRAIN,
            _config(folder, 6),
            '--work-dir',
            work_dir,
            '--cfg-options',
            f'load_from={checkpoint}',
        ]
    )
    assert result.returncode == 1, _output(result)[-3000:]
    assert 'does not match EngineToyNet' in result.stderr
    assert MIS_SHAPED[0] in result.stderr
    assert not glob.glob(osp.join(work_dir, 'iter_*.pth'))


@pytest.mark.slow
def test_mismatched_resume_stops(trained):
    folder, checkpoint = trained
    work_dir = osp.join(folder, 'resume6')
    result = _run(
        [
            sys.executable,
            TRAIN,
            _config(folder, 6, max_iters=4),
            '--work-dir',
            work_dir,
            '--resume',
            checkpoint,
        ]
    )
    assert result.returncode == 1, _output(result)[-3000:]
    assert MIS_SHAPED[1] in result.stderr
    assert not glob.glob(osp.join(work_dir, 'iter_*.pth'))


@pytest.mark.slow
def test_non_strict_resume_goes_on(trained):
    """A checkpoint with a key the model lacks resumes with --non-strict
    (and only then)."""
    folder, checkpoint = trained
    ckpt = ckpt_utils.torch_load_checkpoint(checkpoint, trusted=False)
    ckpt['state_dict']['stray.weight'] = torch.zeros(2)
    stray = osp.join(folder, 'stray.pth')
    torch.save(ckpt, stray)
    work_dir = osp.join(folder, 'resume_stray')
    args = [
        sys.executable,
        TRAIN,
        _config(folder, 4, max_iters=4),
        '--work-dir',
        work_dir,
        '--resume',
        stray,
    ]
    result = _run(args)
    assert result.returncode == 1, _output(result)[-3000:]
    assert (
        'unexpected keys (in the checkpoint, not in the model) (1): '
        'stray.weight' in result.stderr
    )

    result = _run([*args, '--non-strict'])
    output = _output(result)
    assert result.returncode == 0, output[-3000:]
    assert 'loaded the matching tensors only' in output
    assert 'resumed epoch: 0, iter: 2' in output
    final = torch.load(osp.join(work_dir, 'iter_4.pth'), weights_only=False)
    assert final['meta']['iter'] == 4
    assert 'stray.weight' not in final['state_dict']
