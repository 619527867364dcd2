"""Camera geometry of depth maps: back-projection and normals from depth.

Surface normals from depth follow the recipe of Eigen & Fergus, "Predicting
Depth, Surface Normals and Semantic Labels with a Common Multi-Scale
Convolutional Architecture", ICCV 2015 (section 4.2: least-squares planes
fitted to neighbouring points of the point cloud). The window size is not
given in the paper; :data:`DEFAULT_NORMAL_WINDOW` is our choice.

Conventions (shared by the whole toolbox): pixel centres at integer
``(u, v)`` (u = column, v = row); ``X = (u - cx) z / fx``,
``Y = (v - cy) z / fy``, ``Z = z``; the camera frame is x right, y down,
z forward, and normals point towards the camera; the zero vector marks an
invalid normal.
"""

from typing import Optional, Sequence

import cv2
import numpy as np

#: Side (pixels) of the square window of the plane fit. At 480 x 640 and
#: 3 m a 17-pixel window spans about 10 cm. Measured on 480 x 640
#: SynthRooms frames whose depth was quantised like a Kinect (disparity
#: steps of 1/8 px): mean angular errors of 24.7 / 12.7 / 11.3 / 11.3 deg
#: for windows of 3 / 13 / 17 / 21 px; on exact depth the larger windows
#: blur more of the occlusion boundaries (mean 1.1 / 5.9 / 7.6 / 9.1 deg).
#: 17 is the compromise.
DEFAULT_NORMAL_WINDOW = 17

#: A fit needs at least this fraction of the window's pixels to be valid
#: (a corner pixel of the map sees about 28 % of its window).
_MIN_VALID_FRACTION = 0.25

#: A fit is rejected when the middle eigenvalue of the covariance is below
#: this fraction of the largest one (the points are (nearly) on a line).
_MIN_PLANARITY = 1e-6


def _check_intrinsics(intrinsics: Sequence[float]) -> np.ndarray:
    k = np.asarray(intrinsics, dtype=np.float64).reshape(-1)
    if k.shape != (4,) or not np.isfinite(k).all() or min(k[0], k[1]) <= 0:
        raise ValueError(
            'intrinsics must be [fx, fy, cx, cy] with fx, fy > 0, got '
            f'{intrinsics}.'
        )
    return k


def _check_depth(depth: np.ndarray) -> np.ndarray:
    depth = np.asarray(depth)
    if depth.ndim != 2:
        raise ValueError(f'depth must be an H x W map, got {depth.shape}.')
    if depth.dtype.kind not in 'uif':
        raise TypeError(f'depth must be numeric, got {depth.dtype}.')
    return depth.astype(np.float64)


def backproject(depth: np.ndarray, intrinsics: Sequence[float]) -> np.ndarray:
    """Back-project a z-depth map to camera-frame 3-D points.

    Args:
        depth (np.ndarray): ``(H, W)`` z-depth (any unit; 0 = invalid).
        intrinsics (Sequence[float]): ``[fx, fy, cx, cy]`` in pixels.

    Returns:
        np.ndarray: ``(H, W, 3)`` float64 points ``(X, Y, Z)`` in the unit
        of ``depth``; invalid pixels give the origin.
    """
    z = _check_depth(depth)
    fx, fy, cx, cy = _check_intrinsics(intrinsics)
    v, u = np.indices(z.shape, dtype=np.float64)
    return np.stack([(u - cx) * z / fx, (v - cy) * z / fy, z], axis=-1)


def _window_sum(array: np.ndarray, window: int) -> np.ndarray:
    """Sum over the ``window x window`` box centred on each pixel.

    Pixels outside the map contribute nothing (zero padding).
    """
    return cv2.boxFilter(
        array,
        cv2.CV_64F,
        (window, window),
        normalize=False,
        borderType=cv2.BORDER_CONSTANT,
    )


def normals_from_depth(
    depth: np.ndarray,
    intrinsics: Sequence[float],
    window: int = DEFAULT_NORMAL_WINDOW,
    valid: Optional[np.ndarray] = None,
) -> np.ndarray:
    """Surface normals by a least-squares plane fit around every pixel.

    The depth map is back-projected (:func:`backproject`); for each pixel
    the valid points of the ``window x window`` neighbourhood give a
    covariance matrix (first and second moments by box filtering, so the
    whole map costs a few passes and one batched ``np.linalg.eigh``); the
    eigenvector of its smallest eigenvalue is the normal of the
    total-least-squares plane. Points that lie exactly on a plane give its
    normal exactly (up to float64 rounding). The normal is then oriented
    towards the camera (``n . P < 0`` for the pixel's point ``P``).

    A pixel gets the zero vector (invalid) when its own depth is 0 or not
    finite, when ``valid`` is False there, when fewer than a quarter of
    the window's pixels have a depth, or when those points are (nearly)
    collinear. Windows that straddle a depth discontinuity mix two
    surfaces, so normals within ``window // 2`` pixels of an occlusion
    boundary are blends.

    Args:
        depth (np.ndarray): ``(H, W)`` z-depth, e.g. metres; ``<= 0``, NaN
            and inf are invalid and left out of every fit.
        intrinsics (Sequence[float]): ``[fx, fy, cx, cy]`` of ``depth``.
        window (int): Odd side of the fitting window in pixels. Defaults
            to :data:`DEFAULT_NORMAL_WINDOW` (17).
        valid (np.ndarray, optional): ``(H, W)`` bool mask of the pixels
            that receive a normal (e.g. ``raw_depth > 0``: Fouhey's advice
            to evaluate normals only where the sensor measured). It does
            not restrict the points used by the fits. Defaults to None
            (every pixel with a depth).

    Returns:
        np.ndarray: ``(H, W, 3)`` float32 unit normals in the camera frame
        (x right, y down, z forward) pointing towards the camera; zero
        vectors where invalid.

    Raises:
        ValueError: If ``window`` is not an odd integer >= 3, or ``valid``
            does not have the shape of ``depth``.
    """
    if int(window) != window or window < 3 or window % 2 == 0:
        raise ValueError(f'window must be an odd integer >= 3, got {window}.')
    window = int(window)
    z = _check_depth(depth)
    has_depth = np.isfinite(z) & (z > 0)
    z = np.where(has_depth, z, 0.0)
    points = backproject(z, intrinsics)
    weight = has_depth.astype(np.float64)
    count = _window_sum(weight, window)
    safe = np.maximum(count, 1.0)
    # Moments about one global reference point: the covariance is
    # shift-invariant and smaller magnitudes lose fewer digits.
    ref = points[has_depth].mean(axis=0) if has_depth.any() else np.zeros(3)
    centred = (points - ref) * weight[..., None]
    mean = np.stack(
        [_window_sum(centred[..., i], window) / safe for i in range(3)], -1
    )
    cov = np.empty(z.shape + (3, 3), dtype=np.float64)
    for i in range(3):
        for j in range(i, 3):
            second = _window_sum(centred[..., i] * centred[..., j], window)
            cov[..., i, j] = second / safe - mean[..., i] * mean[..., j]
            cov[..., j, i] = cov[..., i, j]
    keep = has_depth & (count >= _MIN_VALID_FRACTION * window * window)
    if valid is not None:
        valid = np.asarray(valid, dtype=bool)
        if valid.shape != z.shape:
            raise ValueError(
                f'valid has shape {valid.shape} but depth has {z.shape}.'
            )
        keep &= valid
    normals = np.zeros(z.shape + (3,), dtype=np.float64)
    if keep.any():
        eigval, eigvec = np.linalg.eigh(cov[keep])
        normal = eigvec[:, :, 0]
        planar = eigval[:, 1] > _MIN_PLANARITY * np.maximum(eigval[:, 2], 0)
        planar &= eigval[:, 2] > 0
        facing = np.einsum('ij,ij->i', normal, points[keep])
        normal *= np.where(facing > 0, -1.0, 1.0)[:, None]
        normal[~planar] = 0.0
        normals[keep] = normal
    return normals.astype(np.float32)


__all__ = ['DEFAULT_NORMAL_WINDOW', 'backproject', 'normals_from_depth']
