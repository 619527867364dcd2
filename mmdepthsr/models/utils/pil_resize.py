"""PIL's bicubic resampling as a differentiable torch operation.

The "Bicubic" rows of the NYU v2 DSR tables (DKN, FDSR, DCTNet, JIIF,
SGNet) upsample the LR depth with
``PIL.Image.fromarray(lr_float32).resize((W, H), Image.BICUBIC)``, whose
result differs from ``torch.nn.functional.interpolate(mode='bicubic')``:

- kernel: Keys cubic convolution with ``a = -0.5`` (torch and OpenCV:
  ``a = -0.75``);
- borders: taps outside the image are dropped and the remaining weights
  renormalised to sum 1 (torch replicates the edge pixels);
- downsampling: the kernel is stretched by the factor ``in / out``
  (antialiasing; torch only with ``antialias=True``).

:func:`pil_bicubic_weights` rebuilds the weights of Pillow's
``precompute_coeffs`` (``src/libImaging/Resample.c``) for one axis, in
float64 as Pillow does: output pixel ``i`` has centre
``c = (i + 0.5) * in / out``, support ``2 * max(in / out, 1)``, window
``[max(int(c - support + 0.5), 0), min(int(c + support + 0.5), in))``
and weights ``k((j - c + 0.5) / max(in / out, 1))`` normalised by their
sum. :func:`pil_bicubic_resize` applies them as Pillow does for float
images (mode ``'F'``): the horizontal pass first, then the vertical one,
each a matrix product. With float32 input the result equals Pillow's to
float32 rounding (Pillow rounds to float32 after each pass, after summing
in double).
"""

import functools
from typing import Tuple

import numpy as np
import torch

#: Keys' ``a`` of Pillow's (and MATLAB ``imresize``'s) bicubic kernel.
PIL_BICUBIC_A = -0.5


def _keys_cubic(x: np.ndarray, a: float = PIL_BICUBIC_A) -> np.ndarray:
    """Keys cubic convolution kernel, support ``(-2, 2)``, in float64."""
    x = np.abs(x)
    near = ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
    far = (((x - 5.0) * x + 8.0) * x - 4.0) * a
    return np.where(x < 1.0, near, np.where(x < 2.0, far, 0.0))


@functools.lru_cache(maxsize=64)
def pil_bicubic_weights(in_size: int, out_size: int) -> np.ndarray:
    """Weights of Pillow's bicubic resampling along one axis.

    Args:
        in_size (int): Number of input pixels along the axis.
        out_size (int): Number of output pixels.

    Returns:
        np.ndarray: ``(out_size, in_size)`` float64, read-only; row ``i``
        holds the weights of output pixel ``i`` (they sum to 1). Equal
        sizes give the identity.

    Raises:
        ValueError: If a size is not a positive integer.
    """
    if int(in_size) != in_size or int(out_size) != out_size:
        raise ValueError(
            'pil_bicubic_weights: sizes must be integers, got '
            f'in_size={in_size!r}, out_size={out_size!r}.'
        )
    in_size, out_size = int(in_size), int(out_size)
    if in_size < 1 or out_size < 1:
        raise ValueError(
            'pil_bicubic_weights: sizes must be positive, got '
            f'in_size={in_size}, out_size={out_size}.'
        )
    scale = in_size / out_size
    filterscale = max(scale, 1.0)
    support = 2.0 * filterscale
    center = (np.arange(out_size, dtype=np.float64) + 0.5) * scale
    # Pillow's window (C truncation; negative values are clamped to 0). It
    # holds every tap where the kernel is non-zero: only the image border
    # cuts taps, whose weight the normalisation below then redistributes.
    xmin = np.maximum(np.trunc(center - support + 0.5), 0)
    xmax = np.minimum(np.trunc(center + support + 0.5), in_size)
    cols = np.arange(in_size, dtype=np.float64)
    inside = (cols >= xmin[:, None]) & (cols < xmax[:, None])
    taps = (cols[None, :] - center[:, None] + 0.5) / filterscale
    weights = np.where(inside, _keys_cubic(taps), 0.0)
    total = weights.sum(axis=1, keepdims=True)
    weights = np.divide(weights, total, out=weights.copy(), where=total != 0.0)
    weights.setflags(write=False)
    return weights


def pil_bicubic_resize(x: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
    """Resize like Pillow's ``Image.resize(size, Image.BICUBIC)`` on float
    images, differentiably.

    Upsampling and downsampling (antialiased) are both supported; any
    leading dimensions are kept.

    Args:
        x (Tensor): ``(..., H, W)`` floating-point tensor, e.g.
            ``(N, C, H, W)``.
        size (tuple[int, int]): Output size ``(h, w)`` (note: Pillow's
            ``resize`` takes ``(w, h)``).

    Returns:
        Tensor: ``(..., h, w)``, same dtype and device as ``x``.

    Raises:
        ValueError: If ``x`` has fewer than 2 dimensions or is not
            floating point.
    """
    if x.dim() < 2 or not x.is_floating_point():
        raise ValueError(
            'pil_bicubic_resize: expected a floating-point (..., H, W) '
            f'tensor, got dtype {x.dtype} and shape {tuple(x.shape)}.'
        )
    out_h, out_w = (int(s) for s in size)
    in_h, in_w = x.shape[-2:]

    def as_tensor(weights: np.ndarray) -> torch.Tensor:
        # A copy: the cached array is read-only.
        return torch.tensor(weights, dtype=x.dtype, device=x.device)

    # Horizontal pass first, as Pillow: (..., H, W) @ (W, w).
    out = x @ as_tensor(pil_bicubic_weights(in_w, out_w)).T
    # Vertical pass: (h, H) @ (..., H, w).
    return as_tensor(pil_bicubic_weights(in_h, out_h)) @ out


__all__ = ['PIL_BICUBIC_A', 'pil_bicubic_resize', 'pil_bicubic_weights']
