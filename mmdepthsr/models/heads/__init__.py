from .eigen2015_heads import (
    EIGEN_TASK_HEAD_INIT,
    EigenDepthHead,
    EigenNormalHead,
    EigenSemSegHead,
    EigenTaskHead,
)
from .eigen_heads import EigenCoarseHead, EigenFineHead

__all__ = [
    'EIGEN_TASK_HEAD_INIT',
    'EigenCoarseHead',
    'EigenDepthHead',
    'EigenFineHead',
    'EigenNormalHead',
    'EigenSemSegHead',
    'EigenTaskHead',
]
