"""The evaluation package stands on its own: it imports the shared
protocol constants, never the datasets."""

import os
import subprocess
import sys

import mmdepthsr

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(mmdepthsr.__file__)))


def _modules_after_import(module: str) -> set:
    code = (
        f'import sys, {module}; '
        "print(' '.join(m for m in sys.modules if m.startswith('mmdepthsr')))"
    )
    # Prepended: the rest of PYTHONPATH may hold the dependencies.
    path = os.pathsep.join(
        p for p in (ROOT, os.environ.get('PYTHONPATH')) if p
    )
    env = dict(os.environ, PYTHONPATH=path)
    out = subprocess.run(
        [sys.executable, '-c', code],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return set(out.stdout.split())


def test_evaluation_does_not_import_datasets():
    loaded = _modules_after_import('mmdepthsr.evaluation')
    assert 'mmdepthsr.structures.protocols' in loaded
    assert not {m for m in loaded if m.startswith('mmdepthsr.datasets')}
    assert not {m for m in loaded if m.startswith('mmdepthsr.models')}
