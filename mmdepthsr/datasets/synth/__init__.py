"""SynthRooms: procedural indoor RGB-D scenes rendered by ray casting."""

from .render import SynthRoomRenderer, scale_intrinsics
from .scene import (
    SYNTH_CLASSES,
    SYNTH_PALETTE,
    Box,
    Cylinder,
    Material,
    Scene,
    Sphere,
    camera_rotation,
    sample_scene,
)

__all__ = [
    'SYNTH_CLASSES',
    'SYNTH_PALETTE',
    'Box',
    'Cylinder',
    'Material',
    'Scene',
    'Sphere',
    'SynthRoomRenderer',
    'camera_rotation',
    'sample_scene',
    'scale_intrinsics',
]
