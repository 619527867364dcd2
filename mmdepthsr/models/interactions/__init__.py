from . import (
    base,
    depth_guided_sr_fusion,
    depth_to_semantic,
    semantic_to_depth,
    sr_guided_depth_fusion,
)
from .base import BaseInteractionUnit
from .depth_guided_sr_fusion import *  # noqa: F401,F403
from .depth_to_semantic import *  # noqa: F401,F403
from .semantic_to_depth import *  # noqa: F401,F403
from .sr_guided_depth_fusion import *  # noqa: F401,F403

__all__ = [
    'BaseInteractionUnit',
    *depth_guided_sr_fusion.__all__,
    *sr_guided_depth_fusion.__all__,
    *semantic_to_depth.__all__,
    *depth_to_semantic.__all__,
]
