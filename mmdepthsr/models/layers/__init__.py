from . import pmba_blocks
from .conv_bn_relu import ConvBNReLU
from .pmba_blocks import *  # noqa: F401,F403

__all__ = ['ConvBNReLU', *pmba_blocks.__all__]
