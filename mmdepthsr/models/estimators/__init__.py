from . import (
    base_sr,
    cliffnet,
    coupled_depth_sr,
    depth_embedding,
    joint_depth_sr,
    multi_task_encoder_decoder,
    pmbanet,
    sosdnet,
)
from .base import BaseDenseEstimator
from .base_sr import *  # noqa: F401,F403
from .cliffnet import *  # noqa: F401,F403
from .coupled_depth_sr import *  # noqa: F401,F403
from .depth_embedding import *  # noqa: F401,F403
from .eigen_coarse_fine import EigenCoarseFine
from .eigen_multiscale import EigenMultiScale
from .joint_depth_sr import *  # noqa: F401,F403
from .mean_depth_baseline import MeanDepthBaseline, fit_mean_depth
from .multi_task_encoder_decoder import *  # noqa: F401,F403
from .pmbanet import *  # noqa: F401,F403
from .sosdnet import *  # noqa: F401,F403

__all__ = [
    'BaseDenseEstimator',
    *base_sr.__all__,
    'EigenCoarseFine',
    'EigenMultiScale',
    'MeanDepthBaseline',
    'fit_mean_depth',
    *pmbanet.__all__,
    *cliffnet.__all__,
    *depth_embedding.__all__,
    *joint_depth_sr.__all__,
    *multi_task_encoder_decoder.__all__,
    *coupled_depth_sr.__all__,
    *sosdnet.__all__,
]
