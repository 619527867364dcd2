"""Shared pytest set-up.

* Every test runs with the mmdepthsr default scope.
* Devices: a test marked ``cuda`` runs where CUDA is available and is
  skipped elsewhere. Every other test runs on the CPU, also on a machine
  with a GPU: ``torch.cuda.is_available()`` (and
  ``torch.accelerator.is_available()``) return False, MMEngine's device is
  ``'cpu'`` and ``CUDA_VISIBLE_DEVICES`` is empty, so that the processes a
  test starts (``tools/train.py``, torchrun, ``mp.spawn``) see no GPU
  either. A ``cuda`` test gets the machine's real values back.
* Threads: under pytest-xdist each worker gets an equal share of the CPU
  cores (torch intra-op threads, and ``OMP_NUM_THREADS``,
  ``MKL_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` for the processes it
  starts) unless ``OMP_NUM_THREADS`` is set; a plain ``pytest`` run keeps
  torch's defaults.
"""

import os

import mmengine.device.utils as mmengine_device
import pytest
import torch

from mmdepthsr.utils import register_all_modules

#: Decided once, before any test hides the GPU. torch reads
#: ``CUDA_VISIBLE_DEVICES`` when CUDA is first initialised (this call), so
#: emptying it later hides the GPU from child processes only.
HAS_CUDA = torch.cuda.is_available()
_REAL_CUDA_IS_AVAILABLE = torch.cuda.is_available
_REAL_MMENGINE_DEVICE = mmengine_device.DEVICE
_REAL_ACCELERATOR_IS_AVAILABLE = getattr(
    getattr(torch, 'accelerator', None), 'is_available', None
)
_REAL_VISIBLE_DEVICES = os.environ.get('CUDA_VISIBLE_DEVICES')
_THREAD_VARIABLES = (
    'OMP_NUM_THREADS',
    'MKL_NUM_THREADS',
    'OPENBLAS_NUM_THREADS',
)


def _cpu_count() -> int:
    if hasattr(os, 'sched_getaffinity'):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def xdist_thread_share(workers: int, cores: int) -> int:
    """Threads per pytest-xdist worker: the cores shared out, at least 1."""
    return max(1, cores // max(1, workers))


def pytest_configure(config):
    workers = os.environ.get('PYTEST_XDIST_WORKER_COUNT')
    if workers is None or 'OMP_NUM_THREADS' in os.environ:
        return
    share = xdist_thread_share(int(workers), _cpu_count())
    torch.set_num_threads(share)
    for name in _THREAD_VARIABLES:
        os.environ.setdefault(name, str(share))


def pytest_collection_modifyitems(config, items):
    if HAS_CUDA:
        return
    skip = pytest.mark.skip(
        reason='needs a CUDA device (torch.cuda.is_available() is False)'
    )
    for item in items:
        if item.get_closest_marker('cuda') is not None:
            item.add_marker(skip)


@pytest.fixture(autouse=True, scope='session')
def _register_modules():
    register_all_modules(init_default_scope=True)


@pytest.fixture(autouse=True, scope='session')
def _cpu_by_default():
    """Hide CUDA for the whole session (see the module docstring)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(torch.cuda, 'is_available', lambda: False)
        if _REAL_ACCELERATOR_IS_AVAILABLE is not None:
            patch.setattr(torch.accelerator, 'is_available', lambda: False)
        patch.setattr(mmengine_device, 'DEVICE', 'cpu')
        patch.setenv('CUDA_VISIBLE_DEVICES', '')
        yield


@pytest.fixture(autouse=True)
def _cuda_when_marked(request, monkeypatch):
    """Give a ``cuda`` test the machine's real CUDA state back."""
    if request.node.get_closest_marker('cuda') is None:
        yield
        return
    monkeypatch.setattr(torch.cuda, 'is_available', _REAL_CUDA_IS_AVAILABLE)
    if _REAL_ACCELERATOR_IS_AVAILABLE is not None:
        monkeypatch.setattr(
            torch.accelerator, 'is_available', _REAL_ACCELERATOR_IS_AVAILABLE
        )
    monkeypatch.setattr(mmengine_device, 'DEVICE', _REAL_MMENGINE_DEVICE)
    if _REAL_VISIBLE_DEVICES is None:
        monkeypatch.delenv('CUDA_VISIBLE_DEVICES', raising=False)
    else:
        monkeypatch.setenv('CUDA_VISIBLE_DEVICES', _REAL_VISIBLE_DEVICES)
    yield
