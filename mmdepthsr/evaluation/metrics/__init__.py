from . import (
    base,
    depth_metric,
    disparity_metric,
    multi_task_metric,
    normal_metric,
    seg_metric,
    sr_metric,
)
from .base import *  # noqa: F401,F403
from .depth_metric import *  # noqa: F401,F403
from .disparity_metric import *  # noqa: F401,F403
from .multi_task_metric import *  # noqa: F401,F403
from .normal_metric import *  # noqa: F401,F403
from .seg_metric import *  # noqa: F401,F403
from .sr_metric import *  # noqa: F401,F403

__all__ = [
    *base.__all__,
    *depth_metric.__all__,
    *disparity_metric.__all__,
    *multi_task_metric.__all__,
    *normal_metric.__all__,
    *seg_metric.__all__,
    *sr_metric.__all__,
]
