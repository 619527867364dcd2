from . import depth_norm, targets, tiling
from .depth_norm import *  # noqa: F401,F403
from .targets import *  # noqa: F401,F403
from .tiling import *  # noqa: F401,F403
from .wrappers import resize, stack_field, stack_lr_depth

__all__ = [
    'resize',
    'stack_field',
    'stack_lr_depth',
    *depth_norm.__all__,
    *targets.__all__,
    *tiling.__all__,
]
