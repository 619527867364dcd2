"""Distributed set-up that also works on CPU-only machines.

MMEngine's ``init_dist`` calls ``torch.cuda.set_device`` for the
``pytorch`` and ``slurm`` launchers, so it cannot start a CPU (gloo) job.
:func:`init_distributed` defers to it when CUDA is available and otherwise
starts the gloo process group itself from the launcher's environment
(torchrun's ``RANK``/``WORLD_SIZE``/``MASTER_ADDR``/``MASTER_PORT``, or
slurm's ``SLURM_PROCID``/``SLURM_NTASKS``/``SLURM_NODELIST``).
:func:`setup_distributed` does that for a config and adapts the model
wrapper (CPU DDP needs ``device_ids=None``).
"""

import datetime
import os
import subprocess
from typing import List, Mapping, Optional

import torch
import torch.distributed as torch_dist

__all__ = [
    'LAUNCHERS',
    'close_distributed',
    'init_distributed',
    'setup_distributed',
]

#: Launchers understood by :func:`init_distributed` (``'none'``: one
#: process, no process group).
LAUNCHERS = ('none', 'pytorch', 'slurm')

_DEFAULT_PORT = '29500'  # torch.distributed's default


def _timeout(kwargs: dict) -> dict:
    timeout = kwargs.get('timeout')
    if timeout is not None and not isinstance(timeout, datetime.timedelta):
        kwargs['timeout'] = datetime.timedelta(seconds=timeout)
    return kwargs


def slurm_dist_env(
    environ: Mapping[str, str], port: Optional[int] = None
) -> dict:
    """The torch.distributed environment of a slurm task (as MMEngine).

    Args:
        environ (Mapping): The process environment; it must hold
            ``SLURM_PROCID``, ``SLURM_NTASKS`` and ``SLURM_NODELIST``.
        port (int, optional): Master port; else ``MASTER_PORT`` from the
            environment, else 29500.

    Returns:
        dict: ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR`` (the
        first host of the node list, from ``scontrol``, unless already set)
        and ``MASTER_PORT``.
    """
    missing = [
        key
        for key in ('SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_NODELIST')
        if key not in environ
    ]
    if missing:
        raise KeyError(
            f'launcher "slurm" needs the environment variables {missing} '
            '(set by srun); run through tools/slurm_train.sh.'
        )
    proc_id = int(environ['SLURM_PROCID'])
    ntasks = int(environ['SLURM_NTASKS'])
    if 'SLURM_LOCALID' in environ:
        local_rank = int(environ['SLURM_LOCALID'])
    elif torch.cuda.is_available():
        local_rank = proc_id % torch.cuda.device_count()
    else:
        local_rank = 0
    env = dict(
        RANK=str(proc_id), WORLD_SIZE=str(ntasks), LOCAL_RANK=str(local_rank)
    )
    if port is not None:
        env['MASTER_PORT'] = str(port)
    else:
        env['MASTER_PORT'] = environ.get('MASTER_PORT', _DEFAULT_PORT)
    if 'MASTER_ADDR' in environ:
        env['MASTER_ADDR'] = environ['MASTER_ADDR']
    else:
        node_list = environ['SLURM_NODELIST']
        addr = subprocess.getoutput(
            f'scontrol show hostname {node_list} | head -n1'
        ).strip()
        if not addr:
            raise RuntimeError(
                f'Could not resolve the first host of SLURM_NODELIST='
                f'"{node_list}" with scontrol; set MASTER_ADDR.'
            )
        env['MASTER_ADDR'] = addr
    return env


def init_distributed(
    launcher: str, backend: Optional[str] = None, **kwargs
) -> None:
    """Start the default process group for ``launcher``.

    With CUDA this is MMEngine's ``init_dist`` (one GPU per process, NCCL
    by default). Without CUDA the gloo process group is started here,
    without any ``torch.cuda`` call. Does nothing for ``launcher='none'``
    or when the process group already exists.

    Args:
        launcher (str): ``'none'``, ``'pytorch'`` (torchrun) or
            ``'slurm'``.
        backend (str, optional): Communication backend. Defaults to
            ``'nccl'`` with CUDA and ``'gloo'`` without; ``'nccl'`` is
            replaced by ``'gloo'`` on CPU.
        **kwargs: Passed to ``init_process_group``; ``timeout`` may be a
            number of seconds. ``port`` sets the slurm master port.
    """
    if launcher not in LAUNCHERS:
        raise ValueError(
            f'Unknown launcher "{launcher}"; expected one of {LAUNCHERS}.'
        )
    if launcher == 'none' or torch_dist.is_initialized():
        return
    if torch.cuda.is_available():
        from mmengine.dist import init_dist

        init_dist(launcher, backend=backend or 'nccl', **kwargs)
        return
    if backend in (None, 'nccl'):
        backend = 'gloo'
    port = kwargs.pop('port', None)
    kwargs = _timeout(kwargs)
    if launcher == 'slurm':
        os.environ.update(slurm_dist_env(os.environ, port=port))
    missing = [
        key
        for key in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT')
        if key not in os.environ
    ]
    if missing:
        raise KeyError(
            f'launcher "pytorch" needs the environment variables {missing} '
            '(set by torchrun); run through tools/dist_train.sh.'
        )
    os.environ.setdefault('LOCAL_RANK', '0')
    torch_dist.init_process_group(
        backend=backend,
        init_method='env://',
        rank=int(os.environ['RANK']),
        world_size=int(os.environ['WORLD_SIZE']),
        **kwargs,
    )


def setup_distributed(cfg, launcher: str) -> List[str]:
    """Start the process group for ``launcher`` and adapt ``cfg`` to it.

    Sets ``cfg.launcher``; for a distributed launcher starts the process
    group with ``cfg.env_cfg.dist_cfg`` (:func:`init_distributed`). On CPU
    it also switches ``dist_cfg.backend`` to gloo and sets
    ``model_wrapper_cfg`` to ``MMDistributedDataParallel`` with
    ``device_ids=None`` (CPU modules cannot name a device) and
    ``broadcast_buffers=False`` unless the config sets it.

    Args:
        cfg (mmengine.Config): The config, modified in place.
        launcher (str): One of :data:`LAUNCHERS`.

    Returns:
        list[str]: What was changed, to be logged once the Runner exists.
    """
    notes: List[str] = []
    cfg.launcher = launcher
    if launcher == 'none':
        return notes
    env_cfg = cfg.get('env_cfg') or {}
    dist_cfg = dict(env_cfg.get('dist_cfg') or {})
    if not torch.cuda.is_available():
        if dist_cfg.get('backend', 'gloo') != 'gloo':
            notes.append(
                f'No CUDA device: distributed backend '
                f'"{dist_cfg["backend"]}" replaced by "gloo".'
            )
        dist_cfg['backend'] = 'gloo'
        cfg.setdefault('env_cfg', {})
        cfg.env_cfg['dist_cfg'] = dist_cfg
        wrapper = dict(cfg.get('model_wrapper_cfg') or {})
        wrapper.setdefault('type', 'MMDistributedDataParallel')
        wrapper['device_ids'] = None
        wrapper.setdefault('broadcast_buffers', False)
        cfg.model_wrapper_cfg = wrapper
        notes.append(
            f'CPU distributed training (gloo): model_wrapper_cfg={wrapper}.'
        )
    init_distributed(launcher, **dist_cfg)
    notes.append(
        f'Distributed ({launcher}): rank {torch_dist.get_rank()} of '
        f'world_size {torch_dist.get_world_size()}, backend '
        f'{torch_dist.get_backend()}.'
    )
    return notes


def close_distributed() -> None:
    """Shut the process group down before the interpreter exits.

    Left to interpreter shutdown, gloo's worker threads were occasionally
    destroyed while still joinable and a rank aborted ("terminate called
    without an active exception", SIGABRT) after its work had finished.
    ``tools/train.py`` and ``tools/test.py`` call this on the way out; it
    does nothing without a process group.
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.destroy_process_group()
