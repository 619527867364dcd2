"""tools/train.py, tools/dist_train.sh and tools/slurm_train.sh, run as
subprocesses on a tiny config (toy modules of tests/test_engine)."""

import glob
import importlib.util
import json
import math
import os
import os.path as osp
import socket
import subprocess
import sys
import uuid

import pytest
import torch
from mmengine.config import Config

from mmdepthsr.utils import torch_load_checkpoint

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOYS_DIR = osp.join(ROOT, 'tests', 'test_engine')
if TOYS_DIR not in sys.path:
    sys.path.insert(0, TOYS_DIR)

import _engine_toys  # noqa: E402

TRAIN = osp.join(ROOT, 'tools', 'train.py')


def _env(**extra):
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        [ROOT, TOYS_DIR, env.get('PYTHONPATH', '')]
    )
    env['PYTHON'] = sys.executable
    for key in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_ADDR'):
        env.pop(key, None)
    env.update(extra)
    return env


def _run(args, cwd=None, env=None, timeout=120):
    return subprocess.run(
        args,
        cwd=cwd or ROOT,
        env=env or _env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _train(config, *args, cwd=None):
    return _run([sys.executable, TRAIN, config, *args], cwd=cwd)


def _ok(result):
    assert result.returncode == 0, (
        result.stdout[-3000:] + result.stderr[-3000:]
    )
    return result.stdout + result.stderr


def _write(tmp_path, name='toy.py', **kwargs):
    path = tmp_path / name
    path.write_text(_engine_toys.toy_config_text(**kwargs))
    return str(path)


def _meta_iter(path):
    return torch.load(path, map_location='cpu', weights_only=False)['meta'][
        'iter'
    ]


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _load_train_tool():
    spec = importlib.util.spec_from_file_location('_train_tool', TRAIN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def train_tool(monkeypatch):
    monkeypatch.setenv('LOCAL_RANK', '0')
    return _load_train_tool()


@pytest.mark.slow
def test_train_then_auto_resume(tmp_path):
    config = _write(tmp_path, max_iters=4, interval=2, with_val=False)
    work_dir = str(tmp_path / 'work')
    out = _ok(_train(config, '--work-dir', work_dir))
    assert 'Iter(train) [4/4]' in out
    files = set(os.listdir(work_dir))
    assert {'iter_2.pth', 'iter_4.pth', 'last_checkpoint', 'toy.py'} <= files
    assert len(glob.glob(osp.join(work_dir, '*', '*.log'))) == 1
    assert _meta_iter(osp.join(work_dir, 'iter_4.pth')) == 4
    # RNGStateHook (from default_runtime.py) stored the generator states.
    ckpt = torch.load(osp.join(work_dir, 'iter_4.pth'), weights_only=False)
    assert set(ckpt['rng_state']) >= {'python', 'numpy', 'torch'}

    # --resume without a value: the latest checkpoint of the work dir.
    out = _ok(
        _train(
            config,
            '--work-dir',
            work_dir,
            '--resume',
            '--cfg-options',
            'train_cfg.max_iters=6',
        )
    )
    assert 'Auto resumed from the latest checkpoint' in out
    assert 'resumed epoch: 0, iter: 4' in out
    # The toolbox's own checkpoints load weights-only (no fallback).
    assert 'weights_only=False' not in out
    ckpt = torch_load_checkpoint(
        osp.join(work_dir, 'iter_4.pth'), trusted=False
    )
    assert ckpt['meta']['iter'] == 4
    assert 'Iter(train) [5/6]' in out and 'Iter(train) [4/6]' not in out
    assert _meta_iter(osp.join(work_dir, 'iter_6.pth')) == 6


def test_resume_and_work_dir_arguments(train_tool, tmp_path):
    config = _write(tmp_path, name='tiny.py', with_val=False)
    cases = {
        (): (False, None, osp.join('./work_dirs', 'tiny')),
        ('--resume',): (True, None, osp.join('./work_dirs', 'tiny')),
        ('--resume', 'a/iter_2.pth', '--work-dir', 'w'): (
            True,
            'a/iter_2.pth',
            'w',
        ),
    }
    for extra, (resume, load_from, work_dir) in cases.items():
        args = train_tool.parse_args([config, *extra])
        cfg, notes = train_tool.build_config(args)
        assert (cfg.resume, cfg.load_from, cfg.work_dir) == (
            resume,
            load_from,
            work_dir,
        )
        assert cfg.launcher == 'none' and notes == []


def test_amp_on_cpu_and_default_work_dir(train_tool, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = _write(tmp_path, name='tiny_amp.py', max_iters=2, interval=2)
    train_tool.main([config, '--amp'])
    work_dir = tmp_path / 'work_dirs' / 'tiny_amp'
    assert (work_dir / 'iter_2.pth').is_file()
    dumped = Config.fromfile(str(work_dir / 'tiny_amp.py'))
    assert dumped.optim_wrapper.type == 'CPUAutocastOptimWrapper'
    logs = glob.glob(str(work_dir / '*' / '*.log'))
    with open(logs[0]) as f:
        assert 'using CPUAutocastOptimWrapper' in f.read()
    scalars = glob.glob(str(work_dir / '*' / 'vis_data' / 'scalars.json'))
    with open(scalars[0]) as f:
        records = [json.loads(line) for line in f]
    losses = [r['loss'] for r in records if 'loss' in r]
    assert len(losses) == 2
    assert all(math.isfinite(v) and v > 0 for v in losses)


def test_bad_config_is_reported_before_building(train_tool, tmp_path):
    config = _write(
        tmp_path,
        max_iters=1,
        with_val=False,
        extra='trian_dataloader = dict(batch_size=4)',
    )
    with pytest.raises(SystemExit) as exc:
        train_tool.main(
            [
                config,
                '--work-dir',
                str(tmp_path / 'w'),
                '--cfg-options',
                'model.type=EngineToyNett',
            ]
        )
    err = str(exc.value.code)
    assert 'Invalid config' in err and '2 problems' in err
    assert "unknown top-level key 'trian_dataloader'" in err
    assert "Did you mean 'train_dataloader'?" in err
    assert "model.type: type 'EngineToyNett' is not registered" in err
    assert "Closest registered names: 'EngineToyNet'" in err
    # Reported up front: nothing was built, no work dir written.
    assert not (tmp_path / 'w').exists()


@pytest.mark.slow
def test_bad_config_exits_with_message_subprocess(tmp_path):
    config = _write(
        tmp_path, with_val=False, extra='lr_config = dict(policy="poly")'
    )
    result = _train(config, '--work-dir', str(tmp_path / 'w'))
    assert result.returncode == 1
    assert "unknown top-level key 'lr_config'" in result.stderr
    assert "use 'param_scheduler' instead" in result.stderr
    assert 'Traceback' not in result.stderr


@pytest.mark.slow
def test_dist_train_two_cpu_processes_average_gradients(tmp_path):
    """torchrun, 2 gloo processes x batch 2 == 1 process x batch 4."""
    config = _write(
        tmp_path,
        name='ddp.py',
        max_iters=3,
        interval=3,
        dropout=0.0,
        norm=False,
        random_aug=False,
        batch_size=2,
        length=8,
        with_val=False,
        extra="custom_hooks = [dict(type='RNGStateHook'), "
        "dict(type='EngineToyRankHook')]",
    )
    work_dir = tmp_path / 'ddp'
    result = _run(
        [
            'bash',
            osp.join(ROOT, 'tools', 'dist_train.sh'),
            config,
            '2',
            '--work-dir',
            str(work_dir),
        ],
        env=_env(PORT=str(_free_port())),
    )
    out = _ok(result)
    assert 'Distributed training: True' in out
    ranks = []
    for rank in (0, 1):
        with open(work_dir / f'rank{rank}.json') as f:
            ranks.append(json.load(f))
    assert [r['rank'] for r in ranks] == [0, 1]
    assert all(r['world_size'] == 2 and r['iter'] == 3 for r in ranks)
    assert all(r['device'] == 'cpu' for r in ranks)
    assert ranks[0]['pid'] != ranks[1]['pid']
    ddp_state = torch.load(work_dir / 'iter_3.pth', weights_only=False)[
        'state_dict'
    ]

    # The same training in this process with the combined batch.
    from mmdepthsr.registry import RUNNERS

    cfg = Config.fromfile(config)
    cfg.work_dir = str(tmp_path / 'single')
    cfg.experiment_name = f'single_{uuid.uuid4().hex}'
    cfg.train_dataloader.batch_size = 4
    cfg.custom_hooks = [dict(type='RNGStateHook')]
    runner = RUNNERS.build(cfg)
    init = {k: v.clone() for k, v in runner.model.state_dict().items()}
    runner.train()
    single = runner.model.state_dict()
    for key, value in single.items():
        assert (value - init[key]).abs().max() > 1e-3  # training moved it
        torch.testing.assert_close(ddp_state[key], value, rtol=0, atol=1e-6)


FAKE_SRUN = r'''#!{python}
"""Fake srun: runs the command --ntasks times with slurm's variables."""
import os, subprocess, sys
args = sys.argv[1:]
ntasks = 1
while args and args[0].startswith('-'):
    opt = args.pop(0)
    if opt.startswith('--ntasks='):
        ntasks = int(opt.split('=', 1)[1])
    elif opt == '-p':
        args.pop(0)
procs = []
for rank in range(ntasks):
    env = dict(os.environ, SLURM_PROCID=str(rank), SLURM_NTASKS=str(ntasks),
               SLURM_NODELIST='fakenode[1]', SLURM_LOCALID=str(rank))
    procs.append(subprocess.Popen(args, env=env))
sys.exit(max(p.wait() for p in procs))
'''


@pytest.mark.slow
def test_slurm_train_two_tasks(tmp_path):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    srun = bin_dir / 'srun'
    srun.write_text(FAKE_SRUN.format(python=sys.executable))
    scontrol = bin_dir / 'scontrol'
    # scontrol show hostname NODELIST -> the first host
    scontrol.write_text('#!/bin/sh\necho 127.0.0.1\n')
    for script in (srun, scontrol):
        script.chmod(0o755)
    config = _write(
        tmp_path,
        name='slurm.py',
        max_iters=2,
        interval=2,
        with_val=False,
        extra="custom_hooks = [dict(type='EngineToyRankHook')]",
    )
    work_dir = tmp_path / 'slurm_work'
    env = _env(
        PATH=f'{bin_dir}{os.pathsep}{os.environ["PATH"]}',
        MASTER_PORT=str(_free_port()),
        GPUS='2',
        GPUS_PER_NODE='2',
    )
    result = _run(
        [
            'bash',
            osp.join(ROOT, 'tools', 'slurm_train.sh'),
            'cpu',
            'toy_job',
            config,
            str(work_dir),
            '--cfg-options',
            'randomness.seed=1',
        ],
        env=env,
    )
    out = _ok(result)
    assert 'Distributed launcher: slurm' in out
    for rank in (0, 1):
        with open(work_dir / f'rank{rank}.json') as f:
            info = json.load(f)
        assert info['world_size'] == 2 and info['iter'] == 2
    assert Config.fromfile(str(work_dir / 'slurm.py')).randomness.seed == 1
    assert (work_dir / 'iter_2.pth').is_file()


# ----------------------------------------------------------------- CUDA

V3_SYNTHROOMS = osp.join(
    ROOT,
    'configs',
    'v3_fusion',
    'v3-fusion_lightenc_1xb8-300it_synthrooms-dsr-x8.py',
)
#: Three training iterations of two 64 x 64 patches and a validation on
#: two scenes (tiled inference, the config's ``test_cfg``).
TINY_V3 = [
    'train_dataloader.dataset.dataset.num_samples=2',
    'train_dataloader.batch_size=2',
    'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'val_dataloader.dataset.num_samples=2',
    'val_dataloader.num_workers=0',
    'val_dataloader.persistent_workers=False',
    'train_cfg.max_iters=3',
    'default_hooks.checkpoint.interval=3',
    'default_hooks.logger.interval=1',
]


def _scalars(work_dir):
    (path,) = glob.glob(str(work_dir / '*' / 'vis_data' / 'scalars.json'))
    with open(path) as f:
        return [json.loads(line) for line in f]


@pytest.mark.cuda
def test_amp_training_on_cuda(tmp_path):
    """tools/train.py --amp on the v3 SynthRooms config: AmpOptimWrapper
    (float16 autocast, dynamic loss scaling) on the GPU."""
    work_dir = tmp_path / 'amp'
    out = _ok(
        _run(
            [
                sys.executable,
                TRAIN,
                V3_SYNTHROOMS,
                '--amp',
                '--work-dir',
                str(work_dir),
                '--cfg-options',
                *TINY_V3,
            ],
            timeout=300,
        )
    )
    assert 'AMP: using AmpOptimWrapper on cuda' in out
    dumped = Config.fromfile(str(work_dir / osp.basename(V3_SYNTHROOMS)))
    assert dumped.optim_wrapper.type == 'AmpOptimWrapper'
    ckpt = torch.load(
        work_dir / 'iter_3.pth', map_location='cpu', weights_only=False
    )
    assert 'loss_scaler' in ckpt['optimizer']
    records = _scalars(work_dir)
    losses = [r['loss'] for r in records if 'loss' in r]
    assert len(losses) == 3
    assert all(math.isfinite(v) and v > 0 for v in losses)
    # MMEngine logs the GPU memory only when the run is on CUDA.
    assert all('memory' in r for r in records if 'loss' in r)
    val = [r for r in records if 'rmse' in r]
    assert len(val) == 1 and math.isfinite(val[0]['rmse'])


@pytest.mark.cuda
def test_ddp_over_nccl_with_one_gpu(tmp_path):
    """tools/train.py --launcher pytorch with torchrun's variables set by
    hand (world size 1): NCCL process group, model on the GPU."""
    config = _write(
        tmp_path,
        name='nccl.py',
        max_iters=3,
        interval=3,
        with_val=False,
        extra="custom_hooks = [dict(type='EngineToyRankHook')]",
    )
    work_dir = tmp_path / 'nccl'
    env = _env(
        RANK='0',
        WORLD_SIZE='1',
        LOCAL_RANK='0',
        MASTER_ADDR='127.0.0.1',
        MASTER_PORT=str(_free_port()),
    )
    result = _run(
        [
            sys.executable,
            TRAIN,
            config,
            '--launcher',
            'pytorch',
            '--work-dir',
            str(work_dir),
        ],
        env=env,
        timeout=300,
    )
    out = _ok(result)
    assert 'rank 0 of world_size 1, backend nccl' in out
    with open(work_dir / 'rank0.json') as f:
        info = json.load(f)
    assert info['world_size'] == 1 and info['iter'] == 3
    assert info['device'].startswith('cuda')
    assert (work_dir / 'iter_3.pth').is_file()
