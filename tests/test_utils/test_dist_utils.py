"""Distributed set-up on CPU (gloo) without torch.cuda calls (tests not
marked ``cuda`` see no GPU, tests/conftest.py)."""

import socket

import pytest
import torch.distributed as torch_dist
from mmengine.config import Config

from mmdepthsr.utils import (
    close_distributed,
    init_distributed,
    setup_distributed,
)
from mmdepthsr.utils import dist as dist_utils

SLURM = dict(SLURM_PROCID='3', SLURM_NTASKS='4', SLURM_NODELIST='node[1-2]')


def test_slurm_env_from_scontrol(monkeypatch):
    calls = []

    def getoutput(cmd):
        calls.append(cmd)
        return 'node1\n'

    monkeypatch.setattr(dist_utils.subprocess, 'getoutput', getoutput)
    env = dist_utils.slurm_dist_env(dict(SLURM, SLURM_LOCALID='1'))
    assert env == dict(
        RANK='3',
        WORLD_SIZE='4',
        LOCAL_RANK='1',
        MASTER_PORT='29500',
        MASTER_ADDR='node1',
    )
    assert calls == ['scontrol show hostname node[1-2] | head -n1']


def test_slurm_env_keeps_given_address_and_port():
    environ = dict(SLURM, MASTER_ADDR='10.0.0.1', MASTER_PORT='1234')
    env = dist_utils.slurm_dist_env(environ)
    assert (env['MASTER_ADDR'], env['MASTER_PORT']) == ('10.0.0.1', '1234')
    assert dist_utils.slurm_dist_env(environ, port=99)['MASTER_PORT'] == '99'
    assert env['LOCAL_RANK'] == '0'  # no SLURM_LOCALID, no GPU


def test_missing_launcher_environment_is_explained(monkeypatch):
    with pytest.raises(KeyError, match='SLURM_NTASKS'):
        dist_utils.slurm_dist_env(dict(SLURM_PROCID='0'))
    with pytest.raises(ValueError, match='Unknown launcher "mpi"'):
        init_distributed('mpi')
    assert not torch_dist.is_initialized()
    for key in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(KeyError, match='torchrun'):
        init_distributed('pytorch')


def test_launcher_none_changes_nothing():
    cfg = Config(dict(env_cfg=dict(dist_cfg=dict(backend='nccl'))))
    assert setup_distributed(cfg, 'none') == []
    assert cfg.launcher == 'none'
    assert 'model_wrapper_cfg' not in cfg
    assert cfg.env_cfg.dist_cfg.backend == 'nccl'
    assert not torch_dist.is_initialized()


def test_cpu_pytorch_launcher_world_size_one(monkeypatch):
    """A real gloo process group from torchrun-style variables."""
    assert not torch_dist.is_initialized()
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    env = dict(
        RANK='0',
        WORLD_SIZE='1',
        LOCAL_RANK='0',
        MASTER_ADDR='127.0.0.1',
        MASTER_PORT=str(port),
    )
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    cfg = Config(
        dict(
            env_cfg=dict(dist_cfg=dict(backend='nccl', timeout=60)),
            model_wrapper_cfg=dict(find_unused_parameters=True),
        )
    )
    try:
        notes = setup_distributed(cfg, 'pytorch')
        assert torch_dist.is_initialized()
        assert torch_dist.get_backend() == 'gloo'
        assert torch_dist.get_world_size() == 1
    finally:
        close_distributed()  # what train.py and test.py do on the way out
    assert not torch_dist.is_initialized()
    close_distributed()  # without a group: nothing to do
    assert cfg.launcher == 'pytorch'
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert cfg.model_wrapper_cfg == dict(
        type='MMDistributedDataParallel',
        device_ids=None,
        broadcast_buffers=False,
        find_unused_parameters=True,
    )
    assert any('replaced by "gloo"' in n for n in notes)
    assert any('world_size 1' in n for n in notes)
