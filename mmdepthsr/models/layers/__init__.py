from . import pmba_blocks
from .conv_bn_relu import ConvBNReLU
from .pmba_blocks import *  # noqa: F401,F403
from .separable_conv import separable_conv_bn_relu

__all__ = ['ConvBNReLU', 'separable_conv_bn_relu', *pmba_blocks.__all__]
