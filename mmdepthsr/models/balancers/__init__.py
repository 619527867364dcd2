from .base import BaseBalancer
from .fixed_weighting import FixedWeighting
from .uncertainty_weighting import UncertaintyWeighting
from .utils import group_losses, parse_balanced_losses

__all__ = [
    'BaseBalancer',
    'FixedWeighting',
    'UncertaintyWeighting',
    'group_losses',
    'parse_balanced_losses',
]
