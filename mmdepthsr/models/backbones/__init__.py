from .alexnet import AlexNet

__all__ = ['AlexNet']
