"""The device policy of tests/conftest.py: tests run on the CPU unless they
are marked ``cuda``; ``cuda`` tests see the GPU."""

import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.device import get_device

CHILD = 'import torch; print(torch.cuda.is_available())'
TESTS = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(TESTS)


def _child_sees_cuda() -> bool:
    out = subprocess.run(
        [sys.executable, '-c', CHILD],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return out.stdout.strip() == 'True'


def test_unmarked_tests_and_their_processes_run_on_the_cpu():
    assert not torch.cuda.is_available()
    assert get_device() == 'cpu'
    assert os.environ['CUDA_VISIBLE_DEVICES'] == ''
    assert not _child_sees_cuda()


def _threads_after_configure(workers, omp=None):
    """torch's thread count and OMP_NUM_THREADS in a fresh process after
    tests/conftest.py's ``pytest_configure`` as a pytest-xdist worker."""
    code = (
        'import importlib.util, os, torch; '
        'spec = importlib.util.spec_from_file_location('
        f"'suite_conftest', {osp.join(TESTS, 'conftest.py')!r}); "
        'module = importlib.util.module_from_spec(spec); '
        'spec.loader.exec_module(module); '
        'module.pytest_configure(None); '
        "print(torch.get_num_threads(), os.environ['OMP_NUM_THREADS'])"
    )
    env = dict(os.environ, PYTEST_XDIST_WORKER_COUNT=str(workers))
    for name in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_NUM_THREADS'):
        env.pop(name, None)
    if omp is not None:
        env['OMP_NUM_THREADS'] = omp
    env['PYTHONPATH'] = os.pathsep.join(
        p for p in (ROOT, env.get('PYTHONPATH')) if p
    )
    out = subprocess.run(
        [sys.executable, '-c', code],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.split()[-2:]


@pytest.mark.slow  # two fresh processes that import torch and mmdepthsr
def test_xdist_workers_get_a_share_of_the_cores():
    cores = len(os.sched_getaffinity(0))
    # More workers than cores: one thread each, also for their children.
    assert _threads_after_configure(2 * cores) == ['1', '1']
    # An explicit OMP_NUM_THREADS is kept.
    assert _threads_after_configure(1, omp='1') == ['1', '1']
    if cores >= 2:
        assert _threads_after_configure(2) == [str(cores // 2)] * 2


@pytest.mark.cuda
def test_cuda_tests_and_their_processes_see_the_gpu():
    assert torch.cuda.is_available()
    assert get_device() == 'cuda'
    assert os.environ.get('CUDA_VISIBLE_DEVICES') != ''
    assert _child_sees_cuda()
    x = torch.ones(2, device='cuda')
    assert (x + 1).sum().item() == 4.0
