from .base import BaseBalancer
from .dynamic_weight_average import DynamicWeightAverage
from .fixed_weighting import FixedWeighting
from .gradnorm import GradNorm
from .uncertainty_weighting import UncertaintyWeighting
from .utils import group_losses, parse_balanced_losses

__all__ = [
    'BaseBalancer',
    'DynamicWeightAverage',
    'FixedWeighting',
    'GradNorm',
    'UncertaintyWeighting',
    'group_losses',
    'parse_balanced_losses',
]
