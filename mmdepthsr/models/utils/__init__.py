from . import (
    arg_checks,
    init_cfg,
    legacy_keys,
    pil_resize,
    seams,
    stage_freezing,
    targets,
    tiling,
)
from .arg_checks import *  # noqa: F401,F403
from .init_cfg import *  # noqa: F401,F403
from .legacy_keys import *  # noqa: F401,F403
from .pil_resize import *  # noqa: F401,F403
from .seams import *  # noqa: F401,F403
from .stage_freezing import *  # noqa: F401,F403
from .targets import *  # noqa: F401,F403
from .tiling import *  # noqa: F401,F403
from .wrappers import resize, stack_field, stack_lr_depth

__all__ = [
    'resize',
    'stack_field',
    'stack_lr_depth',
    *arg_checks.__all__,
    *init_cfg.__all__,
    *legacy_keys.__all__,
    *pil_resize.__all__,
    *seams.__all__,
    *stage_freezing.__all__,
    *targets.__all__,
    *tiling.__all__,
]
