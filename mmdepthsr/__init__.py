"""mmdepthsr: joint monocular depth, guided depth super-resolution and
semantic segmentation on MMEngine."""

from .version import __version__

__all__ = ['__version__']
