"""Shared pytest set-up: every test runs with the mmdepthsr default scope."""

import pytest

from mmdepthsr.utils import register_all_modules


@pytest.fixture(autouse=True, scope='session')
def _register_modules():
    register_all_modules(init_default_scope=True)
