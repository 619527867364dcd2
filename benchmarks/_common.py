"""Helpers shared by the benchmark scripts: machine description and the
default config."""

import glob
import os
import os.path as osp

from mmdepthsr.utils import cpu_model

__all__ = ['ROOT', 'cpu_model', 'default_config', 'load_average']

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: The config the benchmarks use unless one is given: Eigen 2014 coarse on
#: SynthRooms.
DEFAULT_CONFIG_GLOB = 'configs/eigen2014/eigen2014-coarse_*synthrooms*.py'


def default_config(pattern: str) -> str:
    """Path of the one config under the repository root matching
    ``pattern``; exits with a message when there is not exactly one."""
    found = sorted(glob.glob(osp.join(ROOT, pattern)))
    if len(found) != 1:
        raise SystemExit(
            f'Expected one config matching {pattern}, found '
            f'{len(found)}: {found}; pass CONFIG explicitly.'
        )
    return found[0]


def load_average() -> str:
    """'1 min, 5 min, 15 min' load averages ('n/a' where unknown)."""
    if not hasattr(os, 'getloadavg'):
        return 'n/a'
    return ', '.join(f'{x:.2f}' for x in os.getloadavg())
