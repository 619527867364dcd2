from . import pmba_blocks
from .conv_bn_relu import ConvBNReLU
from .pmba_blocks import *  # noqa: F401,F403
from .separable_conv import SeparableConvBNReLU

__all__ = ['ConvBNReLU', 'SeparableConvBNReLU', *pmba_blocks.__all__]
