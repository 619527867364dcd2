"""A resumed run reproduces an uninterrupted one bit for bit (CPU).

The toy model has dropout and BatchNorm, the toy dataset draws from the
numpy, Python and torch global generators in the main process
(``num_workers=0``), the sampler shuffles (``InfiniteSampler``), SGD has
momentum and the LR follows PolyLR; validation (also random) runs every N
iterations during training.
"""

import os.path as osp
import uuid

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmdepthsr.registry import RUNNERS

N = 4  # iterations before the interruption; the full run has 2N


def _train(config, work_dir, max_iters, resume_from=None, rng_hook=True):
    cfg = Config.fromfile(config)
    cfg.work_dir = str(work_dir)
    # Runners built in the same second would share the message hub that
    # MMEngine names after the config and the time stamp.
    cfg.experiment_name = f'{osp.basename(work_dir)}_{uuid.uuid4().hex}'
    cfg.train_cfg.max_iters = max_iters
    if resume_from is not None:
        cfg.resume = True
        cfg.load_from = str(resume_from)
    if not rng_hook:
        cfg.custom_hooks = []
    runner = RUNNERS.build(cfg)
    runner.train()
    hub = runner.message_hub
    val_mse = None
    if 'val/mse' in hub.log_scalars:
        val_mse = hub.get_scalar('val/mse').current()
    return dict(
        losses=hub.get_scalar('train/loss').data[0].copy(),
        val_mse=val_mse,
        state={k: v.clone() for k, v in runner.model.state_dict().items()},
        iter=runner.iter,
    )


def _states_equal(a, b):
    assert a.keys() == b.keys()
    return all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.slow
def test_resume_is_bit_exact(toy_config, tmp_path):
    config = toy_config(max_iters=2 * N, interval=N)
    full = _train(config, tmp_path / 'full', 2 * N)
    _train(config, tmp_path / 'part', N)
    resumed = _train(
        config,
        tmp_path / 'resumed',
        2 * N,
        resume_from=tmp_path / 'part' / f'iter_{N}.pth',
    )
    assert resumed['iter'] == full['iter'] == 2 * N
    # The message hub of the resumed run holds iterations 1..N from the
    # checkpoint and N+1..2N computed after the resume.
    assert len(full['losses']) == len(resumed['losses']) == 2 * N
    assert np.array_equal(full['losses'], resumed['losses'])
    assert _states_equal(full['state'], resumed['state'])
    assert full['val_mse'] is not None
    assert full['val_mse'] == resumed['val_mse']
    # The toy training actually moves: the losses are not all equal.
    assert len(set(full['losses'].tolist())) == 2 * N
    # The checkpoint written at the end holds the same weights.
    ckpt = torch.load(
        tmp_path / 'resumed' / f'iter_{2 * N}.pth', weights_only=False
    )
    assert _states_equal(full['state'], ckpt['state_dict'])
    assert set(ckpt['rng_state']) >= {'python', 'numpy', 'torch'}


@pytest.mark.slow
def test_resume_without_rng_hook_diverges(toy_config, tmp_path):
    """Control: the comparison above is sensitive to the RNG states."""
    config = toy_config(max_iters=2 * N, interval=N, with_val=False)
    full = _train(config, tmp_path / 'full', 2 * N, rng_hook=False)
    _train(config, tmp_path / 'part', N, rng_hook=False)
    resumed = _train(
        config,
        tmp_path / 'resumed',
        2 * N,
        resume_from=tmp_path / 'part' / f'iter_{N}.pth',
        rng_hook=False,
    )
    assert np.array_equal(full['losses'][:N], resumed['losses'][:N])
    assert not np.array_equal(full['losses'][N:], resumed['losses'][N:])
    assert not _states_equal(full['state'], resumed['state'])


def test_load_from_does_not_restore_rng(toy_config, tmp_path):
    """``load_from`` without resume is a fresh run: iteration 0, and the
    checkpoint's generator states are not applied."""
    config = toy_config(max_iters=2, interval=2, with_val=False)
    _train(config, tmp_path / 'a', 2)
    cfg = Config.fromfile(config)
    cfg.work_dir = str(tmp_path / 'b')
    cfg.experiment_name = f'load_from_{uuid.uuid4().hex}'
    cfg.load_from = str(tmp_path / 'a' / 'iter_2.pth')
    cfg.train_cfg.max_iters = 1
    runner = RUNNERS.build(cfg)
    runner.train()
    assert runner.iter == 1
    assert len(runner.message_hub.get_scalar('train/loss').data[0]) == 1
