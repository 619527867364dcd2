from .degradation import GenerateLRDepth
from .formatting import PackDenseInputs
from .geometric import (
    CenterCrop,
    RandomCrop,
    RandomFlip,
    RandomRotate,
    RandomScale,
    Resize,
)
from .loading import LoadDepth, LoadNormal, LoadRGBImage, LoadSemSeg
from .photometric import RandomColorGain

__all__ = [
    'LoadRGBImage',
    'LoadDepth',
    'LoadSemSeg',
    'LoadNormal',
    'RandomCrop',
    'CenterCrop',
    'RandomFlip',
    'Resize',
    'RandomScale',
    'RandomRotate',
    'RandomColorGain',
    'GenerateLRDepth',
    'PackDenseInputs',
]
