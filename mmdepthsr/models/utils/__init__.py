from .wrappers import resize, stack_field, stack_lr_depth

__all__ = ['resize', 'stack_field', 'stack_lr_depth']
