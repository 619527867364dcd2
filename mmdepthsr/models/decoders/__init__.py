from . import (
    cliff_decoder,
    conv_branch_decoder,
    pmba_decoder,
    progressive_decoder,
)
from .cliff_decoder import *  # noqa: F401,F403
from .conv_branch_decoder import *  # noqa: F401,F403
from .deeplabv3plus_decoder import DeepLabV3PlusDecoder
from .depth_reconstruction_decoder import DepthReconstructionDecoder
from .eigen_multiscale import EIGEN_TASK_ORDER, EigenMultiScaleDecoder
from .pmba_decoder import *  # noqa: F401,F403
from .progressive_decoder import *  # noqa: F401,F403

__all__ = [
    'DeepLabV3PlusDecoder',
    'DepthReconstructionDecoder',
    'EIGEN_TASK_ORDER',
    'EigenMultiScaleDecoder',
    *cliff_decoder.__all__,
    *conv_branch_decoder.__all__,
    *pmba_decoder.__all__,
    *progressive_decoder.__all__,
]
