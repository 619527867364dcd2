from .cityscapes import *  # noqa: F401,F403
from .dataset_wrappers import *  # noqa: F401,F403
from .depth_folder import *  # noqa: F401,F403
from .dsr_benchmarks import *  # noqa: F401,F403
from .kitti import *  # noqa: F401,F403
from .middlebury import *  # noqa: F401,F403
from .nyu import *  # noqa: F401,F403
from .samplers import *  # noqa: F401,F403
from .synth_rooms import SynthRoomsDataset
from .transforms import *  # noqa: F401,F403
