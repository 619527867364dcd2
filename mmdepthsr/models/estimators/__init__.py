from .base import BaseDenseEstimator
from .eigen_coarse_fine import EigenCoarseFine
from .mean_depth_baseline import MeanDepthBaseline, fit_mean_depth

__all__ = [
    'BaseDenseEstimator',
    'EigenCoarseFine',
    'MeanDepthBaseline',
    'fit_mean_depth',
]
