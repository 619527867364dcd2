from .eigen_multiscale import (
    EIGEN_TASK_ORDER,
    EigenMultiScaleDecoder,
    EigenScale1Head,
    bilinear_upsample_kernel,
)

__all__ = [
    'EIGEN_TASK_ORDER',
    'EigenMultiScaleDecoder',
    'EigenScale1Head',
    'bilinear_upsample_kernel',
]
