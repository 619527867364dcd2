from .synth_rooms import SynthRoomsDataset
from .transforms import *  # noqa: F401,F403
