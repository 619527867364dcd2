from . import consistency_loss, hierarchical_embedding_loss
from .consistency_loss import *  # noqa: F401,F403
from .cross_entropy_loss import CrossEntropyLoss
from .gradient_loss import EigenGradientDepthLoss
from .hierarchical_embedding_loss import *  # noqa: F401,F403
from .l1_loss import L1Loss
from .normal_loss import NormalCosineLoss
from .scale_invariant_loss import EIGEN_LOG_DEPTH_SCALE, ScaleInvariantLogLoss

__all__ = [
    'EIGEN_LOG_DEPTH_SCALE',
    'CrossEntropyLoss',
    'EigenGradientDepthLoss',
    'L1Loss',
    'NormalCosineLoss',
    'ScaleInvariantLogLoss',
    *hierarchical_embedding_loss.__all__,
    *consistency_loss.__all__,
]
