from . import (
    base,
    degradation,
    domain,
    formatting,
    geometric,
    lidar,
    loading,
    normalization,
    photometric,
)
from .base import *  # noqa: F401,F403
from .degradation import *  # noqa: F401,F403
from .domain import *  # noqa: F401,F403
from .formatting import *  # noqa: F401,F403
from .geometric import *  # noqa: F401,F403
from .lidar import *  # noqa: F401,F403
from .loading import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .photometric import *  # noqa: F401,F403

__all__ = [
    *base.__all__,
    *loading.__all__,
    *lidar.__all__,
    *geometric.__all__,
    *photometric.__all__,
    *degradation.__all__,
    *domain.__all__,
    *normalization.__all__,
    *formatting.__all__,
]
