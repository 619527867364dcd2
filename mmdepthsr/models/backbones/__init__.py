from .alexnet import AlexNet, alexnet_from_torchvision
from .vgg import VGG16, vgg16_from_torchvision

__all__ = [
    'AlexNet',
    'VGG16',
    'alexnet_from_torchvision',
    'vgg16_from_torchvision',
]
