"""Small tensor helpers shared by the models."""

from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F


def resize(
    x: torch.Tensor,
    size: Tuple[int, int],
    mode: str = 'bilinear',
    align_corners: Optional[bool] = False,
) -> torch.Tensor:
    """Resize an ``(N, C, H, W)`` tensor to ``size`` (H, W).

    A no-op when the size already matches. ``align_corners`` is ignored for
    ``nearest`` modes.
    """
    size = tuple(int(s) for s in size)
    if tuple(x.shape[-2:]) == size:
        return x
    if mode in ('nearest', 'nearest-exact', 'area'):
        return F.interpolate(x, size=size, mode=mode)
    return F.interpolate(x, size=size, mode=mode, align_corners=align_corners)


def stack_field(data_samples: Sequence, key: str) -> torch.Tensor:
    """Stack the ``PixelData`` field ``key`` of every sample.

    Args:
        data_samples (Sequence[DenseDataSample]): The batch.
        key (str): Field name, e.g. ``'gt_depth'``.

    Returns:
        Tensor: ``(N, C, H, W)``.

    Raises:
        KeyError: If a sample lacks the field.
        ValueError: If the fields differ in size.
    """
    tensors = []
    for sample in data_samples:
        if key not in sample:
            raise KeyError(
                f'data sample of {sample.metainfo.get("img_path", "?")} has '
                f'no `{key}`; check that the pipeline loads it.'
            )
        tensors.append(getattr(sample, key).data)
    shapes = {tuple(t.shape) for t in tensors}
    if len(shapes) > 1:
        raise ValueError(
            f'cannot batch `{key}` of different sizes {shapes}; '
            'crop or resize them to one size in the pipeline.'
        )
    return torch.stack(tensors)


def stack_lr_depth(data_samples: Sequence) -> torch.Tensor:
    """Batch the low-resolution depth inputs, ``(N, 1, h, w)`` in metres."""
    return stack_field(data_samples, 'lr_depth')
