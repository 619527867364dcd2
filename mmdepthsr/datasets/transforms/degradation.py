"""Degradations that make the low-resolution input of depth SR."""

from typing import Optional

import cv2
import numpy as np
from PIL import Image

from mmdepthsr.registry import TRANSFORMS

from .base import DenseTransform
from .geometric import sample_name

_METHODS = ('bicubic_pil', 'bicubic_cv2', 'bicubic_cv2_uint8', 'nearest')


def _as_uint8(depth: np.ndarray, key: str, results: dict) -> np.ndarray:
    """The map as uint8; it must already hold integers in 0..255."""
    finite = np.isfinite(depth)
    integral = finite & (depth == np.round(depth))
    in_range = finite & (depth >= 0) & (depth <= 255)
    bad = ~(integral & in_range)
    if bad.any():
        values = np.unique(depth[bad])[:5].tolist()
        raise ValueError(
            f'GenerateLRDepth: method "bicubic_cv2_uint8" needs an 8-bit '
            f'map (integers in 0..255), but {key} of {sample_name(results)} '
            f'has {int(bad.sum())} other value(s), e.g. {values}. Load the '
            '8-bit PNG with LoadDepth(depth_scale=1.0, allow_8bit=True) and '
            'apply this before any normalisation.'
        )
    return depth.astype(np.uint8)


@TRANSFORMS.register_module()
class GenerateLRDepth(DenseTransform):
    """Downsample a depth map by ``scale_factor`` to make ``lr_depth``.

    The degradation protocols of the guided depth SR literature (never
    mix them in one table):

    - ``'bicubic_pil'`` (NYU protocol of DKN, FDSR, DCTNet, JIIF, SGNet):
      ``PIL.Image.fromarray(depth_float32).resize((W // s, H // s),
      Image.BICUBIC)``; Pillow's bicubic is Keys ``a = -0.5`` and
      antialiased when shrinking (its support widens by ``s``).
    - ``'bicubic_cv2'``:
      ``cv2.resize(depth, (W // s, H // s), interpolation=INTER_CUBIC)``,
      Keys ``a = -0.75`` without antialiasing, on the float map.
    - ``'bicubic_cv2_uint8'`` (PMBANet's Middlebury 2005 protocol, Ye et
      al., TIP 2020, as re-derived from the LR files of Sunbaoli/
      PMBANet_DSR): the same OpenCV resize applied to the 8-bit map, so
      that OpenCV saturates to 0..255 and rounds to integers (its uint8
      path works in fixed point). The input must hold integers in
      0..255 (e.g. an 8-bit PNG loaded with ``LoadDepth(depth_scale=1,
      allow_8bit=True)``); the output is float32 with integer values. Near
      edges the float path overshoots (values below 0 or above 255,
      fractions) where this one does not.
    - ``'nearest'`` (DJF-era decimation): ``depth[o::s, o::s]`` with the
      phase ``o = nearest_offset``, by default ``s // 2``: LR pixel ``i``
      covers HR pixels ``i*s .. i*s + s - 1``, whose centre ``i*s + (s-1)/2``
      is nearest to HR pixel ``i*s + s // 2`` (the lower-right of the two
      middle pixels when ``s`` is even). Some DJF-era code starts at the
      ``s``-th pixel: ``nearest_offset=s - 1``.

    Holes (0 = invalid) are left as they are: the bicubic kernels average
    them with their neighbours, so LR pixels near a hole get values between
    0 and the true depth (and ringing can make them slightly negative).
    DSR protocols use hole-filled depth, where this does not arise;
    ``'nearest'`` keeps holes as holes.

    Required keys: ``key``. Added keys: ``out_key`` (``H/s x W/s``
    float32), ``scale_factor`` (``s``).

    Args:
        scale_factor (int): Downsampling factor ``s``. Defaults to 4.
        method (str): ``'bicubic_pil'``, ``'bicubic_cv2'``,
            ``'bicubic_cv2_uint8'`` or ``'nearest'``. Defaults to
            ``'bicubic_pil'``.
        key (str): The HR depth. Defaults to ``'gt_depth'``.
        out_key (str): Where the LR depth goes. Defaults to ``'lr_depth'``.
        nearest_offset (int, optional): Phase of ``'nearest'``, in
            ``0 .. s - 1``. Defaults to None (``s // 2``).

    Raises:
        ValueError: If ``H`` or ``W`` is not divisible by ``s``, or if
            ``'bicubic_cv2_uint8'`` gets values that are not integers in
            0..255.
    """

    needs_gt = True

    def __init__(
        self,
        scale_factor: int = 4,
        method: str = 'bicubic_pil',
        key: str = 'gt_depth',
        out_key: str = 'lr_depth',
        nearest_offset: Optional[int] = None,
    ):
        if int(scale_factor) != scale_factor or scale_factor < 1:
            raise ValueError(
                'GenerateLRDepth: scale_factor must be a positive integer, '
                f'got {scale_factor}.'
            )
        if method not in _METHODS:
            raise ValueError(
                f'GenerateLRDepth: method must be one of {_METHODS}, got '
                f'{method!r}.'
            )
        scale_factor = int(scale_factor)
        if nearest_offset is None:
            nearest_offset = scale_factor // 2
        if not 0 <= nearest_offset < scale_factor:
            raise ValueError(
                'GenerateLRDepth: nearest_offset must be in 0..'
                f'{scale_factor - 1}, got {nearest_offset}.'
            )
        self.scale_factor = scale_factor
        self.method = method
        self.key = key
        self.out_key = out_key
        self.nearest_offset = nearest_offset

    def transform(self, results: dict) -> dict:
        owner = type(self).__name__
        if results.get(self.key) is None:
            raise KeyError(
                f'{owner}: {sample_name(results)} has no `{self.key}` to '
                'downsample.'
            )
        depth = np.asarray(results[self.key], dtype=np.float32)
        if depth.ndim == 3 and depth.shape[2] == 1:
            depth = depth[..., 0]
        if depth.ndim != 2:
            raise ValueError(
                f'{owner}: {self.key} of {sample_name(results)} has shape '
                f'{depth.shape}; expected H x W.'
            )
        h, w = depth.shape
        s = self.scale_factor
        if h % s or w % s:
            raise ValueError(
                f'{owner}: {self.key} of {sample_name(results)} has size '
                f'{(h, w)}, not divisible by scale_factor {s}; crop to a '
                f'multiple of {s} first.'
            )
        if self.method == 'bicubic_pil':
            pil = Image.fromarray(np.ascontiguousarray(depth))
            lr = pil.resize((w // s, h // s), Image.Resampling.BICUBIC)
            lr = np.array(lr, dtype=np.float32)  # writable copy
        elif self.method == 'bicubic_cv2':
            lr = cv2.resize(
                depth, (w // s, h // s), interpolation=cv2.INTER_CUBIC
            )
        elif self.method == 'bicubic_cv2_uint8':
            lr = cv2.resize(
                _as_uint8(depth, self.key, results),
                (w // s, h // s),
                interpolation=cv2.INTER_CUBIC,
            )
        else:
            o = self.nearest_offset
            lr = depth[o::s, o::s]
        results[self.out_key] = np.ascontiguousarray(lr, dtype=np.float32)
        results['scale_factor'] = s
        return results

    def __repr__(self) -> str:
        return (
            f'{type(self).__name__}(scale_factor={self.scale_factor}, '
            f'method={self.method!r}, key={self.key!r}, '
            f'out_key={self.out_key!r}, '
            f'nearest_offset={self.nearest_offset})'
        )


__all__ = ['GenerateLRDepth']
