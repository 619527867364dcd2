"""Geometric transforms that keep every dense map and the camera aligned.

MMCV's generic ``Resize`` / ``RandomFlip`` ignore depth keys and silently
misalign them. The transforms here move every map named in
:data:`mmdepthsr.structures.protocols.DENSE_KEYS` (``img``, ``gt_depth``,
``lr_depth``, ``gt_sem_seg``, ``gt_normal``) together and update
``cam_intrinsics`` (``[fx, fy, cx, cy]`` of the image as it is now), so that
back-projecting a pixel, ``X = (u - cx) z / fx``, ``Y = (v - cy) z / fy``,
``Z = z``, gives the same 3-D point before and after (up to the documented
mirror, scale or rotation).

Conventions:

- Pixel centres sit at integer coordinates. Zooming a map by ``sx`` maps the
  continuous coordinate ``u`` to ``(u + 0.5) * sx - 0.5``, hence
  ``cx' = (cx + 0.5) * sx - 0.5`` and ``fx' = fx * sx``.
- The image is resampled with (bi)linear interpolation (or the given
  ``interpolation``); depth, labels and normals with nearest neighbour (the
  source pixel whose centre is closest), so holes are not smeared and
  values stay values of the ground truth. A resampled pixel reuses the depth
  of a source pixel up to half a pixel away, so the 3-D points are exact
  where output centres fall on source centres (crops, flips, 90-degree
  turns, odd integer zoom factors) and within that half pixel elsewhere.
- Pixels that come from outside the frame are invalid: depth 0, label 255,
  normal 0, image 0.
- ``lr_depth`` (the low-resolution DSR input, ``1 / k`` of the image in
  both directions) follows the geometry at its own resolution; crops need
  offsets and sizes divisible by ``k``.
"""

import math
from typing import Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from mmcv.transforms.utils import cache_randomness

from mmdepthsr.registry import TRANSFORMS
from mmdepthsr.structures.protocols import DENSE_KEYS, KB_CROP_SIZE
from mmdepthsr.utils.sizes import to_pair

from .base import DenseTransform

#: Value of a pixel that has no source (outside the frame), per map kind.
_FILL = dict(image=0, depth=0.0, label=255, normal=0.0)

_CV2_INTERP = dict(
    nearest=cv2.INTER_NEAREST_EXACT,
    bilinear=cv2.INTER_LINEAR,
    bicubic=cv2.INTER_CUBIC,
    area=cv2.INTER_AREA,
)

_CV2_WARP_INTERP = dict(
    nearest=cv2.INTER_NEAREST,
    bilinear=cv2.INTER_LINEAR,
    bicubic=cv2.INTER_CUBIC,
)

#: High-resolution maps: everything but the low-resolution DSR input.
_HR_KEYS = tuple(k for k in DENSE_KEYS if k != 'lr_depth')


def sample_name(results: dict) -> str:
    """A name of the sample for error messages (its file, or its index)."""
    for key in ('img_path', 'depth_path', 'seg_map_path', 'normal_path'):
        if results.get(key):
            return str(results[key])
    return f'sample {results.get("sample_idx", "<unknown>")}'


def check_aligned(results: dict, owner: str) -> Tuple[int, int]:
    """Return the ``(H, W)`` shared by the image and the HR maps.

    Raises:
        KeyError: If the results hold no image and no map.
        ValueError: If two of them differ in size.
    """
    shapes = {
        key: tuple(results[key].shape[:2])
        for key in _HR_KEYS
        if results.get(key) is not None
    }
    if not shapes:
        raise KeyError(
            f'{owner}: {sample_name(results)} has none of {_HR_KEYS} to '
            'transform.'
        )
    ref_key, ref = next(iter(shapes.items()))
    for key, shape in shapes.items():
        if shape != ref:
            raise ValueError(
                f'{owner}: in {sample_name(results)}, {key} has size '
                f'{shape} but {ref_key} has size {ref}; the maps must be '
                'aligned (a Resize with resize_gt=False must come last).'
            )
    return ref


def lr_factor(
    results: dict, hr_shape: Sequence[int], owner: str
) -> Optional[int]:
    """Integer factor between the HR maps and ``lr_depth`` (None if absent).

    Raises:
        ValueError: If ``lr_depth`` is not ``1 / k`` of ``hr_shape`` for one
            integer ``k``, or ``k`` disagrees with ``results['scale_factor']``.
    """
    lr = results.get('lr_depth')
    if lr is None:
        return None
    (big_h, big_w), (h, w) = hr_shape[:2], lr.shape[:2]
    if h == 0 or w == 0 or big_h % h or big_w % w or big_h // h != big_w // w:
        raise ValueError(
            f'{owner}: in {sample_name(results)}, lr_depth has size '
            f'{(h, w)}, which is not {(big_h, big_w)} divided by one '
            'integer scale factor.'
        )
    factor = big_h // h
    expected = results.get('scale_factor')
    if expected is not None and int(expected) != factor:
        raise ValueError(
            f'{owner}: in {sample_name(results)}, lr_depth is 1/{factor} '
            f'of the image but results["scale_factor"] is {expected}.'
        )
    return factor


def _intrinsics(results: dict, owner: str) -> Optional[np.ndarray]:
    """A float64 copy of ``[fx, fy, cx, cy]``, or None when absent."""
    if results.get('cam_intrinsics') is None:
        return None
    k = np.array(results['cam_intrinsics'], dtype=np.float64).reshape(-1)
    if k.shape != (4,):
        raise ValueError(
            f'{owner}: in {sample_name(results)}, cam_intrinsics must be '
            f'[fx, fy, cx, cy], got {results["cam_intrinsics"]}.'
        )
    return k


def _nearest_index(src: int, dst: int) -> np.ndarray:
    """Source index whose centre is nearest to each of ``dst`` centres.

    ``floor((i + 0.5) * src / dst)`` in exact integer arithmetic.
    """
    i = np.arange(dst, dtype=np.int64)
    return np.minimum((2 * i + 1) * src // (2 * dst), src - 1)


def resize_nearest(array: np.ndarray, size: Sequence[int]) -> np.ndarray:
    """Nearest-neighbour resize with the pixel-centre convention.

    Works for any dtype (int64 labels included) and any trailing channels.

    Args:
        array (np.ndarray): ``H x W`` or ``H x W x C``.
        size (Sequence[int]): Output ``(h, w)``.

    Returns:
        np.ndarray: ``h x w`` (``x C``), same dtype.
    """
    rows = _nearest_index(array.shape[0], int(size[0]))
    cols = _nearest_index(array.shape[1], int(size[1]))
    return array[rows[:, None], cols[None, :]]


def resize_image(
    img: np.ndarray, size: Sequence[int], interpolation: str = 'bilinear'
) -> np.ndarray:
    """Resize an image to ``(h, w)`` with OpenCV (pixel-centre aligned)."""
    out = cv2.resize(
        img,
        (int(size[1]), int(size[0])),
        interpolation=_CV2_INTERP[interpolation],
    )
    if img.ndim == 3 and out.ndim == 2:
        out = out[..., None]
    return out


def _zoom(
    results: dict,
    size: Sequence[int],
    interpolation: str,
    owner: str,
    resize_gt: bool = True,
) -> Tuple[float, float]:
    """Resize the image (and maps) to ``size``; return ``(sy, sx)``."""
    big_h, big_w = check_aligned(results, owner)
    factor = lr_factor(results, (big_h, big_w), owner)
    new_h, new_w = int(size[0]), int(size[1])
    if factor is not None and (new_h % factor or new_w % factor):
        raise ValueError(
            f'{owner}: in {sample_name(results)}, the new size '
            f'{(new_h, new_w)} is not divisible by the lr_depth scale '
            f'factor {factor}.'
        )
    sy, sx = new_h / big_h, new_w / big_w
    for key, kind in DENSE_KEYS.items():
        value = results.get(key)
        is_gt = kind != 'image' and key != 'lr_depth'
        if value is None or (is_gt and not resize_gt):
            continue
        if key == 'lr_depth':
            results[key] = resize_nearest(
                value, (new_h // factor, new_w // factor)
            )
        elif kind == 'image':
            results[key] = resize_image(value, (new_h, new_w), interpolation)
        else:
            results[key] = resize_nearest(value, (new_h, new_w))
    k = _intrinsics(results, owner)
    if k is not None:
        k[0] *= sx
        k[1] *= sy
        k[2] = (k[2] + 0.5) * sx - 0.5
        k[3] = (k[3] + 0.5) * sy - 0.5
        results['cam_intrinsics'] = k
    results['img_shape'] = (new_h, new_w)
    return sy, sx


def _crop(results: dict, top: int, left: int, size, owner: str) -> None:
    """Crop every map to ``size`` at ``(top, left)`` of the HR grid."""
    big_h, big_w = check_aligned(results, owner)
    factor = lr_factor(results, (big_h, big_w), owner)
    h, w = size
    if factor is not None and any(v % factor for v in (top, left, h, w)):
        raise ValueError(
            f'{owner}: in {sample_name(results)}, the crop (top={top}, '
            f'left={left}, size={(h, w)}) is not on the lr_depth grid: '
            f'offsets and sizes must be divisible by the scale factor '
            f'{factor} (or run GenerateLRDepth after the crop).'
        )
    for key in DENSE_KEYS:
        value = results.get(key)
        if value is None:
            continue
        if key == 'lr_depth':
            t, le = top // factor, left // factor
            value = value[t : t + h // factor, le : le + w // factor]
        else:
            value = value[top : top + h, left : left + w]
        results[key] = np.ascontiguousarray(value)
    k = _intrinsics(results, owner)
    if k is not None:
        k[2] -= left
        k[3] -= top
        results['cam_intrinsics'] = k
    results['img_shape'] = (h, w)


def _check_crop_fits(results, shape, crop_size, owner) -> None:
    if shape[0] < crop_size[0] or shape[1] < crop_size[1]:
        raise ValueError(
            f'{owner}: {sample_name(results)} has size {tuple(shape)}, '
            f'smaller than crop_size {crop_size}; resize or pad it first.'
        )


@TRANSFORMS.register_module()
class RandomCrop(DenseTransform):
    """Crop a random ``crop_size`` window out of every map.

    The principal point moves with the window (``cx -= left``,
    ``cy -= top``). With ``lr_depth`` present the window is drawn on its
    grid (offsets multiple of the DSR scale factor).

    Required keys: ``img`` and/or the HR maps. Modified keys: every dense
    map, ``cam_intrinsics``, ``img_shape``. Added key: ``crop_box``
    ``(top, left, bottom, right)``.

    Args:
        crop_size (int | Sequence[int]): ``(h, w)`` of the crop.
        cat_max_ratio (float, optional): If given, redraw the window (up to
            10 times, as in mmsegmentation) until no class covers more than
            this fraction of the labelled pixels of ``gt_sem_seg``.
        ignore_index (int): Label ignored by ``cat_max_ratio``.
            Defaults to 255.

    Raises:
        ValueError: If the sample is smaller than the crop.
    """

    training_only = True

    def __init__(
        self,
        crop_size: Union[int, Sequence[int]],
        cat_max_ratio: Optional[float] = None,
        ignore_index: int = 255,
    ):
        self.crop_size = to_pair(crop_size, 'RandomCrop: crop_size')
        if cat_max_ratio is not None and not 0 < cat_max_ratio <= 1:
            raise ValueError(
                'RandomCrop: cat_max_ratio must be in (0, 1], got '
                f'{cat_max_ratio}.'
            )
        self.cat_max_ratio = cat_max_ratio
        self.ignore_index = ignore_index

    @cache_randomness
    def _sample_offset(self, shape, step: int) -> Tuple[int, int]:
        top = np.random.randint(0, (shape[0] - self.crop_size[0]) // step + 1)
        left = np.random.randint(0, (shape[1] - self.crop_size[1]) // step + 1)
        return int(top) * step, int(left) * step

    def _balanced(self, results: dict, top: int, left: int) -> bool:
        labels = results.get('gt_sem_seg')
        if self.cat_max_ratio is None or labels is None:
            return True
        h, w = self.crop_size
        crop = labels[top : top + h, left : left + w]
        _, counts = np.unique(
            crop[crop != self.ignore_index], return_counts=True
        )
        ratio = counts.max() / counts.sum() if len(counts) else 1.0
        return len(counts) > 1 and ratio < self.cat_max_ratio

    def transform(self, results: dict) -> dict:
        owner = type(self).__name__
        shape = check_aligned(results, owner)
        _check_crop_fits(results, shape, self.crop_size, owner)
        step = lr_factor(results, shape, owner) or 1
        top, left = self._sample_offset(shape, step)
        for _ in range(9):
            if self._balanced(results, top, left):
                break
            top, left = self._sample_offset(shape, step)
        _crop(results, top, left, self.crop_size, owner)
        results['crop_box'] = (
            top,
            left,
            top + self.crop_size[0],
            left + self.crop_size[1],
        )
        return results

    def __repr__(self) -> str:
        return (
            f'{type(self).__name__}(crop_size={self.crop_size}, '
            f'cat_max_ratio={self.cat_max_ratio}, '
            f'ignore_index={self.ignore_index})'
        )


@TRANSFORMS.register_module()
class CenterCrop(DenseTransform):
    """Crop the central ``crop_size`` window of every map.

    The window starts at ``((H - h) // 2, (W - w) // 2)``; the principal
    point moves with it.

    Required keys: ``img`` and/or the HR maps. Modified keys: every dense
    map, ``cam_intrinsics``, ``img_shape``. Added key: ``crop_box``
    ``(top, left, bottom, right)``.

    Args:
        crop_size (int | Sequence[int]): ``(h, w)`` of the crop.

    Raises:
        ValueError: If the sample is smaller than the crop, or, with
            ``lr_depth``, the window is not on its grid.
    """

    def __init__(self, crop_size: Union[int, Sequence[int]]):
        self.crop_size = to_pair(crop_size, 'CenterCrop: crop_size')

    def transform(self, results: dict) -> dict:
        owner = type(self).__name__
        shape = check_aligned(results, owner)
        _check_crop_fits(results, shape, self.crop_size, owner)
        top = (shape[0] - self.crop_size[0]) // 2
        left = (shape[1] - self.crop_size[1]) // 2
        _crop(results, top, left, self.crop_size, owner)
        results['crop_box'] = (
            top,
            left,
            top + self.crop_size[0],
            left + self.crop_size[1],
        )
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(crop_size={self.crop_size})'


def kb_crop_box(
    image_shape: Sequence[int], crop_size: Sequence[int] = KB_CROP_SIZE
) -> Tuple[int, int, int, int]:
    """KITTI benchmark crop window ``(top, bottom, left, right)``.

    ``top = H - h``, ``left = (W - w) // 2`` with ``(h, w) = crop_size``
    (352 x 1216), 0-based and half-open; e.g. ``(23, 375, 13, 1229)`` for a
    375 x 1242 frame.

    Raises:
        ValueError: If the image is smaller than the crop.
    """
    height, width = (int(s) for s in image_shape[:2])
    crop_h, crop_w = (int(s) for s in crop_size)
    if height < crop_h or width < crop_w:
        raise ValueError(
            f'The KB crop needs an image of at least {crop_h} x {crop_w}, '
            f'got {height} x {width}.'
        )
    top, left = height - crop_h, (width - crop_w) // 2
    return top, height, left, left + crop_w


@TRANSFORMS.register_module()
class KBCrop(DenseTransform):
    """KITTI benchmark (KB) crop: the bottom-centre 352 x 1216 window.

    ``top = H - 352``, ``left = (W - 1216) // 2`` (BTS, the MDE toolbox);
    the principal point moves with the window (``cx -= left``,
    ``cy -= top``). Two evaluation conventions use it:

    - ``crop_gt=True`` (MDE toolbox; always for training): every map is
      cropped, the ground truth becomes 352 x 1216 and a Garg/Eigen
      evaluation crop takes its fractions of that size (Garg: rows
      143:349, cols 43:1172).
    - ``crop_gt=False`` (BTS evaluation): only the network inputs (``img``
      and ``lr_depth``) are cropped; the ground truth keeps the full
      resolution (e.g. 375 x 1242) and ``gt_crop_box`` records where the
      input lies in it. :meth:`BaseDenseEstimator.postprocess_dense` then
      resizes the prediction to that box and pastes it into a zero canvas
      of the ground truth's size, and the Garg/Eigen crop takes its
      fractions of the full-resolution ground truth (Garg on 375 x 1242:
      rows 153:371, cols 44:1197). ``DepthMetric`` refuses an evaluation
      window that leaves the box. Put this transform last (after any
      photometric transform); later geometric transforms would find the
      image and the ground truth misaligned.

    For every KITTI raw image size the Garg and Eigen windows of the full
    frame lie inside the KB crop, so both conventions evaluate predicted
    pixels only.

    Required keys: ``img`` and/or the HR maps (aligned). Modified keys:
    ``img``, ``lr_depth`` and, with ``crop_gt=True``, the ground-truth maps;
    ``cam_intrinsics``, ``img_shape``. Added keys: ``crop_box`` ``(top,
    left, bottom, right)`` of the input window (as :class:`CenterCrop`)
    and, with ``crop_gt=False``, ``gt_crop_box`` ``(top, bottom, left,
    right)`` in ground-truth pixels.

    Args:
        crop_gt (bool): Crop the ground-truth maps too. Defaults to True.
        crop_size (Sequence[int]): ``(h, w)`` of the window. Defaults to
            ``KB_CROP_SIZE`` (352, 1216).

    Raises:
        ValueError: If the sample is smaller than the crop, or with
            ``lr_depth``, the window is not on its grid.
    """

    def __init__(
        self, crop_gt: bool = True, crop_size: Sequence[int] = KB_CROP_SIZE
    ):
        self.crop_gt = bool(crop_gt)
        self.crop_size = to_pair(tuple(crop_size), 'KBCrop: crop_size')

    def transform(self, results: dict) -> dict:
        owner = type(self).__name__
        shape = check_aligned(results, owner)
        _check_crop_fits(results, shape, self.crop_size, owner)
        top, bottom, left, right = kb_crop_box(shape, self.crop_size)
        if self.crop_gt:
            _crop(results, top, left, self.crop_size, owner)
        else:
            gt_maps = {
                key: results.pop(key)
                for key in _HR_KEYS
                if key != 'img' and results.get(key) is not None
            }
            if results.get('img') is None:
                results.update(gt_maps)
                raise KeyError(
                    f'{owner}: {sample_name(results)} has no `img`; '
                    'crop_gt=False crops the network input only.'
                )
            _crop(results, top, left, self.crop_size, owner)
            results.update(gt_maps)
            results['gt_crop_box'] = (top, bottom, left, right)
        results['crop_box'] = (top, left, bottom, right)
        return results

    def __repr__(self) -> str:
        return (
            f'{type(self).__name__}(crop_gt={self.crop_gt}, '
            f'crop_size={self.crop_size})'
        )


@TRANSFORMS.register_module()
class RandomFlip(DenseTransform):
    """Mirror every map horizontally with probability ``prob``.

    A flip maps column ``u`` of a width-``W`` map to ``W - 1 - u``, so
    ``cx -> W - 1 - cx`` and the x component of the normals changes sign.
    The 3-D scene is mirrored (``X -> -X``). ``lr_depth`` is mirrored at its
    own resolution.

    Modified keys: every dense map, ``cam_intrinsics``. Added keys:
    ``flip`` (bool) and ``flip_direction`` (``'horizontal'`` or None).

    Args:
        prob (float): Probability of the flip. Defaults to 0.5.
    """

    training_only = True

    def __init__(self, prob: float = 0.5):
        if not 0 <= prob <= 1:
            raise ValueError(
                f'RandomFlip: prob must be in [0, 1], got {prob}.'
            )
        self.prob = prob

    @cache_randomness
    def _do_flip(self) -> bool:
        return bool(np.random.rand() < self.prob)

    def transform(self, results: dict) -> dict:
        owner = type(self).__name__
        shape = check_aligned(results, owner)
        lr_factor(results, shape, owner)
        flip = self._do_flip()
        results['flip'] = flip
        results['flip_direction'] = 'horizontal' if flip else None
        if not flip:
            return results
        for key, kind in DENSE_KEYS.items():
            value = results.get(key)
            if value is None:
                continue
            value = np.ascontiguousarray(value[:, ::-1])
            if kind == 'normal':
                value[..., 0] = -value[..., 0]
            results[key] = value
        k = _intrinsics(results, owner)
        if k is not None:
            k[2] = shape[1] - 1 - k[2]
            results['cam_intrinsics'] = k
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(prob={self.prob})'


@TRANSFORMS.register_module()
class Resize(DenseTransform):
    """Resize the image and the maps to a fixed size or by a factor.

    The image is interpolated (``interpolation``), depth, labels and normals
    use nearest neighbour; depth values and normals do not change (the
    intrinsics absorb the zoom, so the back-projected scene is the same).
    Intrinsics: ``fx *= sx``, ``fy *= sy``, ``cx = (cx + 0.5) * sx - 0.5``
    (and ``cy`` alike) with the actual ratios ``sx = w' / w``,
    ``sy = h' / h``. ``lr_depth`` follows the image to ``(h', w') / k``.

    Modified keys: ``img``, the maps, ``lr_depth``, ``cam_intrinsics``,
    ``img_shape``. Added key: ``resize_factor`` ``(sy, sx)``.

    Args:
        scale (Sequence[int], optional): Target ``(h, w)``.
        scale_factor (float | Sequence[float], optional): Zoom factor, or
            ``(fy, fx)``. Give ``scale`` or ``scale_factor``, not both.
        keep_ratio (bool): With ``scale``, zoom by one factor, the largest
            that keeps the image within ``(h, w)``. Defaults to False.
        resize_gt (bool): Resize the ground-truth maps too. With False only
            the image (its intrinsics, and ``lr_depth``, an input) change
            and GT stays at its resolution, for test pipelines that evaluate
            at the original size; put it last. Defaults to True.
        interpolation (str): Image interpolation, ``'bilinear'``,
            ``'area'``, ``'bicubic'`` or ``'nearest'``. Defaults to
            ``'bilinear'``.
    """

    def __init__(
        self,
        scale: Optional[Sequence[int]] = None,
        scale_factor: Optional[Union[float, Sequence[float]]] = None,
        keep_ratio: bool = False,
        resize_gt: bool = True,
        interpolation: str = 'bilinear',
    ):
        if (scale is None) == (scale_factor is None):
            raise ValueError(
                'Resize: give exactly one of `scale` (h, w) and '
                f'`scale_factor`, got scale={scale}, '
                f'scale_factor={scale_factor}.'
            )
        if scale is not None:
            scale = to_pair(scale, 'Resize: scale')
        if scale_factor is not None:
            if isinstance(scale_factor, (int, float)):
                scale_factor = (float(scale_factor), float(scale_factor))
            scale_factor = tuple(float(f) for f in scale_factor)
            if len(scale_factor) != 2 or min(scale_factor) <= 0:
                raise ValueError(
                    'Resize: scale_factor must be positive, or a pair (fy, '
                    f'fx) of positives, got {scale_factor}.'
                )
        if interpolation not in _CV2_INTERP:
            raise ValueError(
                f'Resize: interpolation must be one of {list(_CV2_INTERP)}, '
                f'got {interpolation!r}.'
            )
        self.scale = scale
        self.scale_factor = scale_factor
        self.keep_ratio = keep_ratio
        self.resize_gt = resize_gt
        self.interpolation = interpolation

    def _target_size(self, shape) -> Tuple[int, int]:
        h, w = shape
        if self.scale is not None and not self.keep_ratio:
            return self.scale
        if self.scale is not None:
            factor = min(self.scale[0] / h, self.scale[1] / w)
            fy = fx = factor
        else:
            fy, fx = self.scale_factor
        return max(1, int(h * fy + 0.5)), max(1, int(w * fx + 0.5))

    def transform(self, results: dict) -> dict:
        owner = type(self).__name__
        shape = check_aligned(results, owner)
        size = self._target_size(shape)
        results['resize_factor'] = _zoom(
            results, size, self.interpolation, owner, self.resize_gt
        )
        return results

    def __repr__(self) -> str:
        return (
            f'{type(self).__name__}(scale={self.scale}, '
            f'scale_factor={self.scale_factor}, '
            f'keep_ratio={self.keep_ratio}, resize_gt={self.resize_gt}, '
            f'interpolation={self.interpolation!r})'
        )


@TRANSFORMS.register_module()
class RandomScale(DenseTransform):
    """Eigen et al. 2014 scale augmentation: zoom by ``s``, depth ``/ s``.

    Eigen, Puhrsch, Fergus, "Depth Map Prediction from a Single Image using
    a Multi-Scale Deep Network", NIPS 2014 (data augmentation): input and
    target are scaled by ``s`` in [1, 1.5] and the depths divided by
    ``s``. The image and every map are zoomed to ``round(s * (H, W))``
    (nearest for the maps), depth values (``gt_depth`` and ``lr_depth``)
    are divided by ``s`` and the intrinsics are zoomed like :class:`Resize`
    (``fx, fy`` times the actual size ratios, which are ``s`` up to
    rounding). The back-projected scene is therefore the original one
    scaled by ``1 / s`` (normals unchanged). With ``lr_depth`` present the
    new size is rounded to a multiple of its scale factor.

    Modified keys: every dense map, ``cam_intrinsics``, ``img_shape``.
    Added key: ``random_scale`` (the ``s`` depth was divided by).

    Args:
        scale_range (Sequence[float]): Range of ``s``. Defaults to
            (1.0, 1.5) (Eigen 2014).
        interpolation (str): Image interpolation (see :class:`Resize`).
            Defaults to ``'bilinear'``.
    """

    training_only = True

    def __init__(
        self,
        scale_range: Sequence[float] = (1.0, 1.5),
        interpolation: str = 'bilinear',
    ):
        low, high = (float(v) for v in scale_range)
        if not 0 < low <= high:
            raise ValueError(
                'RandomScale: scale_range must be (low, high) with '
                f'0 < low <= high, got {scale_range}.'
            )
        if interpolation not in _CV2_INTERP:
            raise ValueError(
                f'RandomScale: interpolation must be one of '
                f'{list(_CV2_INTERP)}, got {interpolation!r}.'
            )
        self.scale_range = (low, high)
        self.interpolation = interpolation

    @cache_randomness
    def _sample_scale(self) -> float:
        return float(np.random.uniform(*self.scale_range))

    def transform(self, results: dict) -> dict:
        owner = type(self).__name__
        shape = check_aligned(results, owner)
        step = lr_factor(results, shape, owner) or 1
        s = self._sample_scale()
        size = [max(step, int(n * s / step + 0.5) * step) for n in shape]
        _zoom(results, size, self.interpolation, owner)
        for key, kind in DENSE_KEYS.items():
            if kind == 'depth' and results.get(key) is not None:
                results[key] = (results[key] / np.float32(s)).astype(
                    np.float32
                )
        results['random_scale'] = s
        return results

    def __repr__(self) -> str:
        return (
            f'{type(self).__name__}(scale_range={self.scale_range}, '
            f'interpolation={self.interpolation!r})'
        )


def _rotation_inverse_map(
    angle: float, fx: float, fy: float, cx: float, cy: float
) -> np.ndarray:
    """2 x 3 affine map from output pixels to source pixels.

    The rotation acts on normalised camera coordinates
    ``((u - cx) / fx, (v - cy) / fy)``, so it is the image of a rotation of
    the camera about its optical axis even when ``fx != fy``.
    """
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    return np.array(
        [
            [c, -s * fx / fy, cx - c * cx + s * fx / fy * cy],
            [s * fy / fx, c, cy - s * fy / fx * cx - c * cy],
        ]
    )


def _warp_index(shape, inv_map: np.ndarray):
    """Flat source index of each output pixel under a nearest warp.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``(h * w,)`` indices into the
        flattened source (0 where there is no source) and the mask of
        output pixels whose source lies inside the frame.
    """
    h, w = shape[:2]
    v, u = np.mgrid[0:h, 0:w].astype(np.float64)
    src_u = inv_map[0, 0] * u + inv_map[0, 1] * v + inv_map[0, 2]
    src_v = inv_map[1, 0] * u + inv_map[1, 1] * v + inv_map[1, 2]
    iu = np.floor(src_u + 0.5).astype(np.int64).ravel()
    iv = np.floor(src_v + 0.5).astype(np.int64).ravel()
    inside = (iu >= 0) & (iu < w) & (iv >= 0) & (iv < h)
    return np.where(inside, iv * w + iu, 0), inside


def _gather(array: np.ndarray, index, inside, fill) -> np.ndarray:
    """Apply a :func:`_warp_index` warp; pixels with no source get ``fill``."""
    flat = array.reshape(array.shape[0] * array.shape[1], -1)
    out = flat[index]
    out[~inside] = fill
    return out.reshape(array.shape)


@TRANSFORMS.register_module()
class RandomRotate(DenseTransform):
    """Rotate every map in the image plane about the principal point.

    Eigen 2014 rotates input and target by ``r`` in ``[-5, 5]`` degrees.
    The rotation acts about ``(cx, cy)`` on normalised coordinates, i.e. it
    is the camera rolling about its optical axis: depth values do not
    change (nearest resampling), normals turn with the scene, the
    intrinsics stay the same. A positive angle turns the content
    counter-clockwise on screen (the OpenCV convention); in the camera frame
    (x right, y down) a point or normal ``P`` becomes ``R P`` with
    ``R = [[cos a, sin a, 0], [-sin a, cos a, 0], [0, 0, 1]]``. Pixels that
    come from outside the frame become invalid (depth 0, label 255, normal
    0, image 0). Without ``cam_intrinsics`` the image centre is used.
    ``lr_depth`` is rotated at its own resolution.

    Modified keys: every dense map. Added key: ``rotate_angle`` (degrees,
    0 when not rotated).

    Args:
        max_angle (float): Angles are drawn from ``[-max_angle, max_angle]``
            degrees. Defaults to 5 (Eigen 2014).
        prob (float): Probability of rotating. Defaults to 1.0.
        interpolation (str): Image interpolation, ``'bilinear'``,
            ``'bicubic'`` or ``'nearest'``. Defaults to ``'bilinear'``.
    """

    training_only = True

    def __init__(
        self,
        max_angle: float = 5.0,
        prob: float = 1.0,
        interpolation: str = 'bilinear',
    ):
        if max_angle < 0:
            raise ValueError(
                f'RandomRotate: max_angle must be >= 0, got {max_angle}.'
            )
        if not 0 <= prob <= 1:
            raise ValueError(
                f'RandomRotate: prob must be in [0, 1], got {prob}.'
            )
        if interpolation not in _CV2_WARP_INTERP:
            raise ValueError(
                'RandomRotate: interpolation must be one of '
                f'{list(_CV2_WARP_INTERP)}, got {interpolation!r}.'
            )
        self.max_angle = float(max_angle)
        self.prob = prob
        self.interpolation = interpolation

    @cache_randomness
    def _sample_angle(self) -> float:
        if np.random.rand() >= self.prob:
            return 0.0
        return float(np.random.uniform(-self.max_angle, self.max_angle))

    def transform(self, results: dict) -> dict:
        owner = type(self).__name__
        big_h, big_w = check_aligned(results, owner)
        factor = lr_factor(results, (big_h, big_w), owner)
        angle = self._sample_angle()
        results['rotate_angle'] = angle
        if angle == 0:
            return results
        k = _intrinsics(results, owner)
        if k is None:
            k = np.array([1.0, 1.0, (big_w - 1) / 2, (big_h - 1) / 2])
        fx, fy, cx, cy = k
        inv_map = _rotation_inverse_map(angle, fx, fy, cx, cy)
        index, inside = _warp_index((big_h, big_w), inv_map)
        c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        rot = np.array([[c, s, 0], [-s, c, 0], [0, 0, 1]], dtype=np.float32)
        for key, kind in DENSE_KEYS.items():
            value = results.get(key)
            if value is None:
                continue
            if key == 'lr_depth':
                lr_map = _rotation_inverse_map(
                    angle,
                    fx / factor,
                    fy / factor,
                    (cx + 0.5) / factor - 0.5,
                    (cy + 0.5) / factor - 0.5,
                )
                results[key] = _gather(
                    value, *_warp_index(value.shape, lr_map), _FILL[kind]
                )
            elif kind == 'image':
                out = cv2.warpAffine(
                    value,
                    inv_map,
                    (big_w, big_h),
                    flags=_CV2_WARP_INTERP[self.interpolation]
                    | cv2.WARP_INVERSE_MAP,
                    borderMode=cv2.BORDER_CONSTANT,
                    borderValue=0,
                )
                if value.ndim == 3 and out.ndim == 2:
                    out = out[..., None]
                results[key] = out
            else:
                value = _gather(value, index, inside, _FILL[kind])
                if kind == 'normal':
                    # Three multiply-adds per channel rather than a matrix
                    # product: numpy's BLAS would spin up threads that
                    # starve DataLoader workers.
                    value = value.astype(np.float32)
                    value = np.stack(
                        [
                            rot[i, 0] * value[..., 0]
                            + rot[i, 1] * value[..., 1]
                            + rot[i, 2] * value[..., 2]
                            for i in range(3)
                        ],
                        axis=-1,
                    )
                results[key] = value
        return results

    def __repr__(self) -> str:
        return (
            f'{type(self).__name__}(max_angle={self.max_angle}, '
            f'prob={self.prob}, interpolation={self.interpolation!r})'
        )


@TRANSFORMS.register_module()
class FixedCrop(DenseTransform):
    """Crop every frame to one fixed window.

    For example BTS (cleinc/bts, NYU data loader) and the Monocular-Depth-
    Estimation-Toolbox (``NYUCrop``) crop every 480 x 640 NYU training frame
    to rows 45:472, cols 43:608 (427 x 565, 0-based, end exclusive) before
    the random crop, to drop the white border of the RGB images and the
    unprojected border of the depth: ``box=(45, 472, 43, 608)``. Every dense
    map is cropped and the principal point moves with the window.

    Modified keys: every dense map, ``cam_intrinsics``, ``img_shape``.
    Added key: ``crop_box`` ``(top, left, bottom, right)``.

    Args:
        box (Sequence[int]): ``(top, bottom, left, right)`` of the window.

    Raises:
        ValueError: If the frame is smaller than the window.
    """

    def __init__(self, box: Sequence[int]):
        top, bottom, left, right = (int(v) for v in box)
        if not (0 <= top < bottom and 0 <= left < right):
            raise ValueError(
                'FixedCrop: box must be (top, bottom, left, right) with '
                f'0 <= top < bottom and 0 <= left < right, got {box}.'
            )
        self.box = (top, bottom, left, right)

    def transform(self, results: dict) -> dict:
        owner = type(self).__name__
        height, width = check_aligned(results, owner)
        top, bottom, left, right = self.box
        if bottom > height or right > width:
            raise ValueError(
                f'{owner}: the frame has size {(height, width)}, smaller '
                f'than the crop box {self.box}.'
            )
        _crop(results, top, left, (bottom - top, right - left), owner)
        results['crop_box'] = (top, left, bottom, right)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(box={self.box})'


@TRANSFORMS.register_module()
class CropToMultiple(DenseTransform):
    """Crop every map to the largest multiple of ``divisor``, top-left.

    The first ``H - H % d`` rows and ``W - W % d`` columns are kept, as the
    ``modcrop`` of the guided DSR test code (DKN, DCTNet, JIIF): the HR
    depth and the image of a Middlebury / Lu / RGB-D-D pair are cut this
    way before the LR map is made. Run it before ``GenerateLRDepth``. The
    principal point does not move (the window starts at 0, 0).

    Modified keys: every dense map, ``img_shape``. Added key: ``crop_box``
    ``(0, 0, bottom, right)``.

    Args:
        divisor (int): ``d``, usually the scale factor.

    Raises:
        ValueError: If the frame is smaller than ``divisor``.
    """

    def __init__(self, divisor: int):
        if int(divisor) != divisor or divisor < 1:
            raise ValueError(
                'CropToMultiple: divisor must be a positive integer, got '
                f'{divisor!r}.'
            )
        self.divisor = int(divisor)

    def transform(self, results: dict) -> dict:
        owner = type(self).__name__
        height, width = check_aligned(results, owner)
        d = self.divisor
        size = (height - height % d, width - width % d)
        if not min(size):
            raise ValueError(
                f'{owner}: {sample_name(results)} has size {(height, width)}, '
                f'smaller than the divisor {d}.'
            )
        if size != (height, width):
            _crop(results, 0, 0, size, owner)
        results['crop_box'] = (0, 0, size[0], size[1])
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(divisor={self.divisor})'


__all__ = [
    'CropToMultiple',
    'FixedCrop',
    'RandomCrop',
    'CenterCrop',
    'KBCrop',
    'kb_crop_box',
    'RandomFlip',
    'Resize',
    'RandomScale',
    'RandomRotate',
    'resize_nearest',
    'resize_image',
]
