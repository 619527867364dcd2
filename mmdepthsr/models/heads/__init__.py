from .base_dense_head import (
    TASKS,
    BaseDenseHead,
    register_task,
    registered_tasks,
)
from .cliff_head import CLIFFHead
from .depth_head import DepthHead, SRHead
from .eigen2015_heads import (
    EIGEN_TASK_HEAD_INIT,
    EigenDepthHead,
    EigenNormalHead,
    EigenSemSegHead,
    EigenTaskHead,
)
from .eigen2015_scale1_head import (
    SCALE1_INIT,
    EigenScale1Head,
    bilinear_upsample_kernel,
)
from .eigen_heads import (
    EIGEN_FINE_MEAN,
    EIGEN_FINE_STD,
    EigenCoarseHead,
    EigenFineHead,
)
from .normal_head import NormalHead
from .seg_head import SegHead

__all__ = [
    'TASKS',
    'BaseDenseHead',
    'register_task',
    'registered_tasks',
    'CLIFFHead',
    'DepthHead',
    'NormalHead',
    'SRHead',
    'SegHead',
    'EIGEN_FINE_MEAN',
    'EIGEN_FINE_STD',
    'EIGEN_TASK_HEAD_INIT',
    'EigenCoarseHead',
    'EigenDepthHead',
    'EigenFineHead',
    'EigenNormalHead',
    'EigenScale1Head',
    'EigenSemSegHead',
    'EigenTaskHead',
    'SCALE1_INIT',
    'bilinear_upsample_kernel',
]
