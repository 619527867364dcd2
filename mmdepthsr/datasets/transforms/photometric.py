"""Photometric transforms (they change the image only)."""

from typing import Sequence

import numpy as np
from mmcv.transforms.utils import cache_randomness

from mmdepthsr.registry import TRANSFORMS

from .base import DenseTransform


@TRANSFORMS.register_module()
class RandomColorGain(DenseTransform):
    """Multiply the whole image by a random per-channel RGB gain.

    Eigen, Puhrsch, Fergus, NIPS 2014 (data augmentation): the image is
    multiplied by a random RGB vector ``c`` in ``[0.8, 1.2]^3``. The result
    is clipped to 0..255 and keeps its dtype (uint8 images are rounded).

    Required keys: ``img`` (``H x W x 3``, 0-255). Modified key: ``img``.
    Added key: ``color_gain`` (the three gains, float32).

    Args:
        gain_range (Sequence[float]): Range of each channel's gain.
            Defaults to (0.8, 1.2) (Eigen 2014).
    """

    training_only = True

    def __init__(self, gain_range: Sequence[float] = (0.8, 1.2)):
        low, high = (float(v) for v in gain_range)
        if not 0 <= low <= high:
            raise ValueError(
                'RandomColorGain: gain_range must be (low, high) with '
                f'0 <= low <= high, got {gain_range}.'
            )
        self.gain_range = (low, high)

    @cache_randomness
    def _sample_gain(self) -> np.ndarray:
        return np.random.uniform(*self.gain_range, size=3).astype(np.float32)

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(
                f'RandomColorGain: image {results.get("img_path", "")} has '
                f'shape {img.shape}; expected H x W x 3 RGB.'
            )
        gain = self._sample_gain()
        out = np.clip(img.astype(np.float32) * gain, 0, 255)
        if np.issubdtype(img.dtype, np.integer):
            out = np.rint(out)
        results['img'] = out.astype(img.dtype)
        results['color_gain'] = gain
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(gain_range={self.gain_range})'


__all__ = ['RandomColorGain']
