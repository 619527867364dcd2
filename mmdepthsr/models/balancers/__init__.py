from .base import BaseBalancer
from .fixed_weighting import FixedWeighting
from .utils import group_losses, parse_balanced_losses

__all__ = [
    'BaseBalancer',
    'FixedWeighting',
    'group_losses',
    'parse_balanced_losses',
]
