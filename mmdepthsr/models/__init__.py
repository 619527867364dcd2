from .backbones import *  # noqa: F401,F403
from .balancers import *  # noqa: F401,F403
from .data_preprocessor import DenseDataPreprocessor
from .decoders import *  # noqa: F401,F403
from .estimators import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .interactions import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .necks import *  # noqa: F401,F403

__all__ = ['DenseDataPreprocessor']
