from .depth_metric import (
    DEPTH_METRIC_KEYS,
    DepthMetric,
    crop_window,
    depth_errors,
    depth_eval_mask,
)

__all__ = [
    'DEPTH_METRIC_KEYS',
    'DepthMetric',
    'crop_window',
    'depth_errors',
    'depth_eval_mask',
]
