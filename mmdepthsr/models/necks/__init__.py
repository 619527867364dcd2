from . import aspp, concat_fusion, fpn, sequential
from .aspp import *  # noqa: F401,F403
from .concat_fusion import *  # noqa: F401,F403
from .fpn import *  # noqa: F401,F403
from .sequential import *  # noqa: F401,F403

__all__ = [
    *aspp.__all__,
    *concat_fusion.__all__,
    *fpn.__all__,
    *sequential.__all__,
]
