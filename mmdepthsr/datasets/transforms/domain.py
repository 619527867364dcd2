"""Training transforms that give synthetic depth what real test data have.

They narrow the gap between SynthRooms (metric z-depth, float, clean) and
the real guided depth-SR test sets (docs/dataset_prepare.md, "Real DSR
test sets"): Middlebury and Lu store 8-bit disparity-like maps, and the
colour guide of Lu and RGB-D-D is registered to the depth only to within a
few pixels (a rendered guide is exact). The effect
of each on the real-set RMSE is measured in configs/v3_fusion/README.md,
"Sim-to-real".
"""

from typing import Sequence

import numpy as np
from mmcv.transforms.utils import cache_randomness

from mmdepthsr.registry import TRANSFORMS

from .base import DenseTransform
from .geometric import sample_name

__all__ = ['RandomDisparityMap', 'RandomGuideShift']


@TRANSFORMS.register_module()
class RandomDisparityMap(DenseTransform):
    """Turn a metric depth map into an 8-bit disparity-style map, at random.

    The Middlebury and Lu DSR test sets hold 8-bit maps proportional to
    inverse depth (up to an offset): near is bright, planes are affine in
    the image coordinates (in z-depth they are not) and values are
    quantised to integer grey levels, each set stretching its own range
    (Middlebury e.g. 47..139 or 71..230, Lu the full 0..255). With
    probability ``prob`` this step replaces ``key`` by

    ``q = round(lo + (hi - lo) * (1/z - 1/z_max) / (1/z_min - 1/z_max))``

    over the valid pixels (``z > 0``; holes stay 0, valid pixels keep a
    grey level of at least 1), with ``hi`` drawn from
    ``high_range`` and ``lo`` from ``[0, low_fraction * hi]``, and then
    rescales the grey levels back into the frame's metric range,
    ``q * z_max / 255``: the loss of a disparity frame (computed in the
    units of the map) keeps the size it has on a metric frame, so the two
    kinds mix in one batch. Run it before ``GenerateLRDepth``: the LR input
    is then the bicubic downsampling of the quantised map, as in the
    benchmarks' protocol.

    Every map that uses ``key`` as ground truth changes with it (the
    monocular branch of a joint model then sees disparity-shaped targets in
    those frames; their scale is irrelevant under per-patch max
    normalisation). Meant for guided-SR training only.

    Required keys: ``key``. Modified key: ``key``. Added key:
    ``depth_representation`` (``'disparity_8bit'`` or ``'depth'``).

    Args:
        prob (float): Probability of the conversion. Defaults to 0.5.
        high_range (Sequence[float]): Range of the grey level of the
            nearest pixel. Defaults to (128, 255).
        low_fraction (float): The farthest pixel's grey level is drawn from
            ``[0, low_fraction * hi]``. Defaults to 0.6.
        quantize (bool): Round to integer grey levels. Defaults to True.
        key (str): The depth map. Defaults to ``'gt_depth'``.
    """

    training_only = True
    needs_gt = True

    def __init__(
        self,
        prob: float = 0.5,
        high_range: Sequence[float] = (128.0, 255.0),
        low_fraction: float = 0.6,
        quantize: bool = True,
        key: str = 'gt_depth',
    ):
        if not 0.0 <= prob <= 1.0:
            raise ValueError(
                f'RandomDisparityMap: prob must lie in [0, 1], got {prob}.'
            )
        low, high = (float(v) for v in high_range)
        if not 1.0 <= low <= high <= 255.0:
            raise ValueError(
                'RandomDisparityMap: high_range must be (low, high) with '
                f'1 <= low <= high <= 255, got {high_range}.'
            )
        if not 0.0 <= low_fraction < 1.0:
            raise ValueError(
                'RandomDisparityMap: low_fraction must lie in [0, 1), got '
                f'{low_fraction}.'
            )
        self.prob = float(prob)
        self.high_range = (low, high)
        self.low_fraction = float(low_fraction)
        self.quantize = bool(quantize)
        self.key = key

    @cache_randomness
    def _sample(self):
        apply = np.random.rand() < self.prob
        hi = np.random.uniform(*self.high_range)
        lo = np.random.uniform(0.0, self.low_fraction * hi)
        return apply, hi, lo

    def transform(self, results: dict) -> dict:
        apply, hi, lo = self._sample()
        results['depth_representation'] = 'depth'
        if not apply:
            return results
        depth = results[self.key]
        valid = np.isfinite(depth) & (depth > 0)
        if not valid.any():
            return results
        if (depth[np.isfinite(depth)] < 0).any():
            raise ValueError(
                f'RandomDisparityMap: {self.key} of {sample_name(results)} '
                'has negative values; expected metric depth (0 = hole).'
            )
        z_min = float(depth[valid].min())
        z_max = float(depth[valid].max())
        inv = 1.0 / depth[valid].astype(np.float64)
        span = 1.0 / z_min - 1.0 / z_max
        unit = (inv - 1.0 / z_max) / span if span > 0 else np.ones_like(inv)
        grey = lo + (hi - lo) * unit
        if self.quantize:
            grey = np.rint(grey)
        # Grey level 0 would read as a hole: the farthest pixels keep >= 1.
        grey = np.maximum(grey, 1.0)
        out = np.zeros(depth.shape, np.float32)
        out[valid] = grey * (z_max / 255.0)
        results[self.key] = out
        results['depth_representation'] = 'disparity_8bit'
        return results

    def __repr__(self) -> str:
        return (
            f'{type(self).__name__}(prob={self.prob}, '
            f'high_range={self.high_range}, '
            f'low_fraction={self.low_fraction}, quantize={self.quantize}, '
            f'key={self.key!r})'
        )


def translate_image(img: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """Move the content of ``img`` by ``(dy, dx)`` whole pixels.

    ``out[y, x] = img[y - dy, x - dx]``; the uncovered border repeats the
    nearest edge pixel, so no new values (zeros) appear.
    """
    height, width = img.shape[:2]
    ady, adx = abs(int(dy)), abs(int(dx))
    pad = ((ady, ady), (adx, adx)) + ((0, 0),) * (img.ndim - 2)
    padded = np.pad(img, pad, mode='edge')
    top, left = ady - int(dy), adx - int(dx)
    return np.ascontiguousarray(
        padded[top : top + height, left : left + width]
    )


@TRANSFORMS.register_module()
class RandomGuideShift(DenseTransform):
    """Misregister the colour guide from the depth by a few pixels, at random.

    A rendered RGB-D frame is registered exactly: every depth edge lies on
    the colour edge of the same surface, and a guided model learns to put
    its depth edges where the colour edges are. In real RGB-D pairs the two
    come from different sensors and the registration is approximate: on Lu
    and RGB-D-D the colour edges of most frames lie 1-5 pixels away from the
    depth edges (estimated per frame by the shift that best lines up the
    two gradient maps; Middlebury's are aligned in 24 of its 30 frames).
    With probability ``prob`` this step moves the image ``key`` by a
    whole-pixel offset ``(dy, dx)``, each drawn uniformly from
    ``[-max_shift, max_shift]``, repeating the edge pixels into the
    uncovered border; the depth, labels and normals stay where they are, so
    the model learns to take depth edges from the depth and use the guide
    where it agrees. Real misregistration varies with the depth (parallax);
    one global offset per frame is the simplest model of it.

    Run it on the whole frame, before any crop into patches (the border it
    repeats is then the frame's, not every patch's). Meant for guided-SR
    training; the monocular branch of a joint model then sees its image
    offset from the depth target by as much, which is small against the
    blur of its predictions.

    Required keys: ``key``. Modified key: ``key``. Added key:
    ``guide_shift`` ((dy, dx) in pixels, (0, 0) when not applied).

    Args:
        max_shift (int): Largest offset along each axis, in pixels of the
            image. Defaults to 3.
        prob (float): Probability of a shift. Defaults to 0.5.
        key (str): The guide image. Defaults to ``'img'``.
    """

    training_only = True

    def __init__(
        self, max_shift: int = 3, prob: float = 0.5, key: str = 'img'
    ):
        if int(max_shift) != max_shift or max_shift < 1:
            raise ValueError(
                'RandomGuideShift: max_shift must be a positive integer '
                f'(pixels), got {max_shift!r}.'
            )
        if not 0.0 <= prob <= 1.0:
            raise ValueError(
                f'RandomGuideShift: prob must lie in [0, 1], got {prob}.'
            )
        self.max_shift = int(max_shift)
        self.prob = float(prob)
        self.key = key

    @cache_randomness
    def _sample(self):
        apply = np.random.rand() < self.prob
        dy, dx = np.random.randint(-self.max_shift, self.max_shift + 1, 2)
        return apply, int(dy), int(dx)

    def transform(self, results: dict) -> dict:
        apply, dy, dx = self._sample()
        if not apply:
            results['guide_shift'] = (0, 0)
            return results
        img = results[self.key]
        height, width = img.shape[:2]
        if height <= self.max_shift or width <= self.max_shift:
            raise ValueError(
                f'RandomGuideShift: {self.key} of {sample_name(results)} is '
                f'{height} x {width}, too small for shifts of up to '
                f'{self.max_shift} pixels.'
            )
        results[self.key] = translate_image(img, dy, dx)
        results['guide_shift'] = (dy, dx)
        return results

    def __repr__(self) -> str:
        return (
            f'{type(self).__name__}(max_shift={self.max_shift}, '
            f'prob={self.prob}, key={self.key!r})'
        )
