"""Engine tests: make the toy modules importable and write toy configs."""

import os.path as osp
import sys

import pytest

TOYS_DIR = osp.dirname(osp.abspath(__file__))
if TOYS_DIR not in sys.path:
    sys.path.insert(0, TOYS_DIR)

import _engine_toys  # noqa: E402


@pytest.fixture
def toy_config(tmp_path):
    """Write a toy config (``_engine_toys.toy_config_text`` kwargs) and
    return its path."""

    def write(name='toy.py', **kwargs):
        path = tmp_path / name
        path.write_text(_engine_toys.toy_config_text(**kwargs))
        return str(path)

    return write
