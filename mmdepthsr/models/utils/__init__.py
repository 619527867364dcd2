from . import tiling
from .tiling import *  # noqa: F401,F403
from .wrappers import resize, stack_field, stack_lr_depth

__all__ = [
    'resize',
    'stack_field',
    'stack_lr_depth',
    *tiling.__all__,
]
