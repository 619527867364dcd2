from . import inference
from .inference import *  # noqa: F401,F403

__all__ = [
    *inference.__all__,
]
