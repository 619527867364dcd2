from .depth_vis import (
    colorize_depth,
    colorize_error,
    colorize_labels,
    colorize_normals,
    make_panel,
    save_image,
)
from .figure import (
    ColorBar,
    Legend,
    Panel,
    PanelFigure,
    PanelRow,
    nice_ticks,
    render_figure,
)
from .sample_figure import PRED_TITLES, depth_unit_label, sample_figure

__all__ = [
    'ColorBar',
    'Legend',
    'PRED_TITLES',
    'Panel',
    'PanelFigure',
    'PanelRow',
    'colorize_depth',
    'colorize_error',
    'colorize_labels',
    'colorize_normals',
    'depth_unit_label',
    'make_panel',
    'nice_ticks',
    'render_figure',
    'sample_figure',
    'save_image',
]
