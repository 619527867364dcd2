from . import export, inference, inference_switches, synthetic_inputs
from .export import *  # noqa: F401,F403
from .inference import *  # noqa: F401,F403
from .inference_switches import *  # noqa: F401,F403
from .synthetic_inputs import *  # noqa: F401,F403

__all__ = [
    *export.__all__,
    *inference.__all__,
    *inference_switches.__all__,
    *synthetic_inputs.__all__,
]
