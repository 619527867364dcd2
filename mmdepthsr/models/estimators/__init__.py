from . import base_sr
from .base import BaseDenseEstimator
from .base_sr import *  # noqa: F401,F403
from .eigen_coarse_fine import EigenCoarseFine
from .eigen_multiscale import EigenMultiScale
from .mean_depth_baseline import MeanDepthBaseline, fit_mean_depth

__all__ = [
    'BaseDenseEstimator',
    *base_sr.__all__,
    'EigenCoarseFine',
    'EigenMultiScale',
    'MeanDepthBaseline',
    'fit_mean_depth',
]
