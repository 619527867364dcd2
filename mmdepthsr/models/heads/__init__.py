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

__all__ = [
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
