from .depth_vis import (
    colorize_depth,
    colorize_error,
    colorize_labels,
    colorize_normals,
    make_panel,
    save_image,
)

__all__ = [
    'colorize_depth',
    'colorize_error',
    'colorize_labels',
    'colorize_normals',
    'make_panel',
    'save_image',
]
