"""Synthetic batches of the right kind for a model, for the analysis tools
(``tools/analysis_tools/benchmark.py``, ``get_flops.py``)."""

from typing import Sequence

import torch
from mmengine.structures import PixelData

from mmdepthsr.structures import DenseDataSample

__all__ = ['needs_lr_depth', 'synthetic_batch']


def needs_lr_depth(model: torch.nn.Module) -> bool:
    """Whether the model reads a low-resolution depth map (guided DSR and
    joint MDE + DSR models)."""
    from mmdepthsr.models.estimators.base_sr import BaseGuidedSREstimator

    model = getattr(model, 'module', model)
    if not isinstance(model, BaseGuidedSREstimator):
        return False
    if model.scale_factor is None:
        return False
    return bool(getattr(model, 'needs_lr_depth', True))


def synthetic_batch(
    model: torch.nn.Module,
    shape: Sequence[int],
    batch_size: int = 1,
    seed: int = 0,
) -> dict:
    """A random batch as the test dataloader gives it to ``test_step``.

    Args:
        model (nn.Module): The estimator (or a wrapper of one).
        shape (Sequence[int]): Image size ``(H, W)``.
        batch_size (int): Images per batch. Defaults to 1.
        seed (int): Seed of the random images and depths. Defaults to 0.

    Returns:
        dict: ``inputs``, a list of ``batch_size`` ``(3, H, W)`` uint8 RGB
        images, and ``data_samples`` with ``img_shape`` / ``ori_shape``,
        and for models that read one (:func:`needs_lr_depth`) an
        ``lr_depth`` of ``(1, H / s, W / s)`` metres in ``[0.5, 5]`` and
        ``scale_factor`` ``s``.

    Raises:
        ValueError: If ``(H, W)`` is not divisible by the model's
            ``scale_factor``.
    """
    height, width = (int(v) for v in shape)
    gen = torch.Generator().manual_seed(seed)
    lr_size = None
    if needs_lr_depth(model):
        s = getattr(model, 'module', model).scale_factor
        if height % s or width % s:
            raise ValueError(
                f'{type(model).__name__}: the shape {(height, width)} is not '
                f'divisible by its scale_factor {s}.'
            )
        lr_size = (height // s, width // s)
    inputs, samples = [], []
    for _ in range(batch_size):
        img = torch.randint(0, 256, (3, height, width), generator=gen)
        inputs.append(img.to(torch.uint8))
        meta = dict(img_shape=(height, width), ori_shape=(height, width))
        sample = DenseDataSample(metainfo=meta)
        if lr_size is not None:
            lr = 0.5 + 4.5 * torch.rand(1, *lr_size, generator=gen)
            sample.lr_depth = PixelData(data=lr)
            sample.set_metainfo(dict(scale_factor=height // lr_size[0]))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)
