from . import fpn
from .fpn import *  # noqa: F401,F403

__all__ = [
    *fpn.__all__,
]
