from . import cliff_decoder, pmba_blocks, progressive_decoder
from .cliff_decoder import *  # noqa: F401,F403
from .eigen_multiscale import (
    EIGEN_TASK_ORDER,
    EigenMultiScaleDecoder,
    EigenScale1Head,
    bilinear_upsample_kernel,
)
from .pmba_blocks import *  # noqa: F401,F403
from .progressive_decoder import *  # noqa: F401,F403

__all__ = [
    'EIGEN_TASK_ORDER',
    'EigenMultiScaleDecoder',
    'EigenScale1Head',
    'bilinear_upsample_kernel',
    *pmba_blocks.__all__,
    *cliff_decoder.__all__,
    *progressive_decoder.__all__,
]
