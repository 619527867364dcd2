from .l1_loss import L1Loss
from .scale_invariant_loss import EIGEN_LOG_DEPTH_SCALE, ScaleInvariantLogLoss

__all__ = ['EIGEN_LOG_DEPTH_SCALE', 'L1Loss', 'ScaleInvariantLogLoss']
