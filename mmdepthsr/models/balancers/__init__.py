from .base import BaseBalancer
from .dynamic_weight_average import DynamicWeightAverage
from .fixed_weighting import FixedWeighting
from .gradnorm import GradNorm
from .mgda import MGDA
from .min_norm_solver import min_norm_solution, min_norm_solution_from_gram
from .uncertainty_weighting import UncertaintyWeighting
from .utils import group_losses, parse_balanced_losses, select_task_losses

__all__ = [
    'BaseBalancer',
    'DynamicWeightAverage',
    'FixedWeighting',
    'GradNorm',
    'MGDA',
    'UncertaintyWeighting',
    'group_losses',
    'min_norm_solution',
    'min_norm_solution_from_gram',
    'parse_balanced_losses',
    'select_task_losses',
]
