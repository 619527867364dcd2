from . import depth_encoders, light_conv_encoder, resnet, xception
from .alexnet import AlexNet, alexnet_from_torchvision
from .depth_encoders import *  # noqa: F401,F403
from .light_conv_encoder import *  # noqa: F401,F403
from .resnet import *  # noqa: F401,F403
from .vgg import VGG16, vgg16_from_torchvision
from .xception import *  # noqa: F401,F403

__all__ = [
    'AlexNet',
    'VGG16',
    'alexnet_from_torchvision',
    'vgg16_from_torchvision',
    *resnet.__all__,
    *depth_encoders.__all__,
    *light_conv_encoder.__all__,
    *xception.__all__,
]
