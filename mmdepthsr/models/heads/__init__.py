from .base_dense_head import TASKS, BaseDenseHead
from .depth_head import DepthHead, SRHead
from .eigen2015_heads import (
    EIGEN_TASK_HEAD_INIT,
    EigenDepthHead,
    EigenNormalHead,
    EigenSemSegHead,
    EigenTaskHead,
)
from .eigen_heads import EigenCoarseHead, EigenFineHead
from .normal_head import NormalHead
from .seg_head import SegHead

__all__ = [
    'TASKS',
    'BaseDenseHead',
    'DepthHead',
    'NormalHead',
    'SRHead',
    'SegHead',
    'EIGEN_TASK_HEAD_INIT',
    'EigenCoarseHead',
    'EigenDepthHead',
    'EigenFineHead',
    'EigenNormalHead',
    'EigenSemSegHead',
    'EigenTaskHead',
]
