"""Loading transforms: RGB images, depth maps, label maps and normal maps.

Every loader checks what it reads and fails with an error that names the
file, the field and what was expected (missing or corrupt file, wrong dtype,
wrong number of channels, wrong size, NaN/inf, negative depth, no valid
pixel, unknown class ids), so that a bad file never becomes a silent wrong
number.
"""

import io
from typing import Optional, Sequence

import cv2
import mmengine.fileio as fileio
import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image, UnidentifiedImageError

from mmdepthsr.registry import TRANSFORMS

#: A decoded normal shorter than this is the encoded zero vector (e.g. the
#: grey (127, 127, 127) of NYU normal PNGs) and marks an invalid pixel.
_MIN_NORMAL_NORM = 0.5


def _get_path(results: dict, path_key: str, owner: str) -> str:
    if results.get(path_key) is None:
        raise KeyError(
            f'{owner}: the results have no `{path_key}` (the file to '
            f'load); keys present: {sorted(results)}.'
        )
    return results[path_key]


def _read_bytes(path, owner: str, field: str, backend_args) -> bytes:
    """Read a whole file, raising a clear error if it does not exist."""
    try:
        return fileio.get(path, backend_args=backend_args)
    except FileNotFoundError as err:
        raise FileNotFoundError(
            f'{owner}: {field} file not found: {path}'
        ) from err


def _decode_image(content: bytes, flags: int, path, owner, field):
    """Decode image bytes with OpenCV; corrupt files raise an error."""
    buffer = np.frombuffer(content, dtype=np.uint8)
    img = cv2.imdecode(buffer, flags) if buffer.size else None
    if img is None:
        raise ValueError(
            f'{owner}: cannot decode {field} file {path} (empty, corrupt '
            'or not an image).'
        )
    return img


def _check_same_size(results, shape, path, owner, field) -> None:
    """The map must have the size of the image loaded before it."""
    img = results.get('img')
    if img is not None and tuple(shape[:2]) != tuple(img.shape[:2]):
        raise ValueError(
            f'{owner}: {field} file {path} has size {tuple(shape[:2])} but '
            f'the image {results.get("img_path", "")} has size '
            f'{tuple(img.shape[:2])}; the maps of a sample must be aligned.'
        )


def _squeeze_single_channel(array: np.ndarray, path, owner, field):
    """Accept ``H x W`` or ``H x W x 1``; anything else is an error."""
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim == 3 and array.shape[2] in (3, 4):
        raise ValueError(
            f'{owner}: {field} file {path} has {array.shape[2]} channels '
            f'(shape {array.shape}); a {field} map must be single-channel '
            '(H x W). Is this an RGB image instead of a depth map?'
        )
    if array.ndim != 2:
        raise ValueError(
            f'{owner}: {field} file {path} has shape {array.shape}; '
            'expected H x W or H x W x 1.'
        )
    return array


@TRANSFORMS.register_module()
class LoadRGBImage(BaseTransform):
    """Load an RGB image from ``results['img_path']``.

    Grayscale files are replicated to three channels and an alpha channel is
    dropped, so the result is always ``H x W x 3`` RGB (never BGR).

    Required keys: ``img_path``.
    Added keys: ``img`` (``H x W x 3`` uint8, or float32 0-255),
    ``img_shape`` and ``ori_shape`` (``(H, W)``).

    Args:
        to_float32 (bool): Convert the image to float32 (values stay in
            0-255). Defaults to False (uint8).
        backend_args (dict, optional): Arguments of the MMEngine file
            backend. Defaults to None (local files).
    """

    def __init__(
        self, to_float32: bool = False, backend_args: Optional[dict] = None
    ):
        self.to_float32 = to_float32
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        owner = type(self).__name__
        path = _get_path(results, 'img_path', owner)
        content = _read_bytes(path, owner, 'image', self.backend_args)
        bgr = _decode_image(content, cv2.IMREAD_COLOR, path, owner, 'image')
        img = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return (
            f'{type(self).__name__}(to_float32={self.to_float32}, '
            f'backend_args={self.backend_args})'
        )


@TRANSFORMS.register_module()
class LoadDepth(BaseTransform):
    """Load a depth map in metres (``0`` = invalid).

    Supported files:

    - 8-bit or 16-bit PNG (any integer image OpenCV reads): metres =
      value / ``depth_scale``, which is **required** (1000 for millimetre
      PNGs such as NYU ``sync_depth``; 256 for KITTI).
    - float32 images (e.g. TIFF): metres; ``depth_scale`` optional divisor.
    - ``.npy``: float arrays are metres (``depth_scale`` is an optional
      divisor); integer arrays need ``depth_scale``.

    The map must be ``H x W`` or ``H x W x 1``, finite, non-negative and have
    at least one valid (non-zero) pixel. When an image is already loaded,
    the map must have its size, except ``lr_depth``, which must be the image
    (or ``gt_depth``) divided by one integer factor, stored as
    ``results['scale_factor']``.

    Required keys: ``path_key``. Added keys: ``key`` (``H x W`` float32) and,
    for ``lr_depth`` after an image, ``scale_factor``.

    Args:
        key (str): Where to store the map. Defaults to ``'gt_depth'``.
        path_key (str): Key of the file path. Defaults to ``'depth_path'``.
        depth_scale (float, optional): Stored value per metre. Required for
            integer files. Defaults to None.
        backend_args (dict, optional): Arguments of the MMEngine file
            backend. Defaults to None (local files).
    """

    def __init__(
        self,
        key: str = 'gt_depth',
        path_key: str = 'depth_path',
        depth_scale: Optional[float] = None,
        backend_args: Optional[dict] = None,
    ):
        if depth_scale is not None and not depth_scale > 0:
            raise ValueError(
                f'LoadDepth: depth_scale must be positive, got {depth_scale}.'
            )
        self.key = key
        self.path_key = path_key
        self.depth_scale = depth_scale
        self.backend_args = backend_args

    def _read(self, path) -> np.ndarray:
        owner = type(self).__name__
        content = _read_bytes(path, owner, self.key, self.backend_args)
        if str(path).lower().endswith('.npy'):
            try:
                depth = np.load(io.BytesIO(content), allow_pickle=False)
            except (ValueError, OSError, EOFError) as err:
                raise ValueError(
                    f'{owner}: cannot read {self.key} file {path} as .npy '
                    f'(corrupt or not a NumPy file): {err}'
                ) from err
        else:
            depth = _decode_image(
                content, cv2.IMREAD_UNCHANGED, path, owner, self.key
            )
        return depth

    def _to_metres(self, depth: np.ndarray, path) -> np.ndarray:
        owner = type(self).__name__
        kind = depth.dtype.kind
        if kind in 'ui':
            if self.depth_scale is None:
                raise ValueError(
                    f'{owner}: {self.key} file {path} stores integers '
                    f'({depth.dtype}); set depth_scale (stored value per '
                    'metre, e.g. 1000 for millimetres, 256 for KITTI).'
                )
        elif kind != 'f':
            raise TypeError(
                f'{owner}: {self.key} file {path} has dtype {depth.dtype}; '
                'expected unsigned integers (PNG) or floats (metres).'
            )
        finite = np.isfinite(depth)
        if not finite.all():
            raise ValueError(
                f'{owner}: {self.key} file {path} has '
                f'{int((~finite).sum())} NaN/inf values; mark invalid '
                'pixels with 0.'
            )
        if (depth < 0).any():
            raise ValueError(
                f'{owner}: {self.key} file {path} has '
                f'{int((depth < 0).sum())} negative values (min '
                f'{depth.min()}); depth must be >= 0 (0 = invalid).'
            )
        if not (depth > 0).any():
            raise ValueError(
                f'{owner}: {self.key} file {path} has no valid pixel '
                '(every value is 0).'
            )
        depth = depth.astype(np.float32)
        if self.depth_scale is not None:
            depth = depth / np.float32(self.depth_scale)
        return depth

    def _check_size(self, results: dict, depth: np.ndarray, path) -> None:
        owner = type(self).__name__
        if self.key != 'lr_depth':
            _check_same_size(results, depth.shape, path, owner, self.key)
            return
        ref = results.get('img')
        if ref is None:
            ref = results.get('gt_depth')
        if ref is None:
            return
        (big_h, big_w), (h, w) = ref.shape[:2], depth.shape
        if big_h % h or big_w % w or big_h // h != big_w // w:
            raise ValueError(
                f'{owner}: {self.key} file {path} has size {(h, w)}, which '
                f'is not the image / gt_depth size {(big_h, big_w)} divided '
                'by one integer scale factor.'
            )
        factor = big_h // h
        expected = results.get('scale_factor')
        if expected is not None and expected != factor:
            raise ValueError(
                f'{owner}: {self.key} file {path} is 1/{factor} of the '
                f'image but results["scale_factor"] is {expected}.'
            )
        results['scale_factor'] = factor

    def transform(self, results: dict) -> dict:
        path = _get_path(results, self.path_key, type(self).__name__)
        depth = self._read(path)
        depth = _squeeze_single_channel(
            depth, path, type(self).__name__, self.key
        )
        depth = self._to_metres(depth, path)
        self._check_size(results, depth, path)
        results[self.key] = depth
        return results

    def __repr__(self) -> str:
        return (
            f'{type(self).__name__}(key={self.key!r}, '
            f'path_key={self.path_key!r}, depth_scale={self.depth_scale}, '
            f'backend_args={self.backend_args})'
        )


@TRANSFORMS.register_module()
class LoadSemSeg(BaseTransform):
    """Load a semantic label map (class ids, ``ignore_index`` = unlabelled).

    The file is read with Pillow, so palette PNGs give their indices (not
    their colours). Colour (3-channel) label images are rejected.

    Required keys: ``path_key``. Added keys: ``gt_sem_seg`` (``H x W``,
    uint8 for 8-bit files, int64 otherwise).

    Args:
        path_key (str): Key of the file path. Defaults to ``'seg_map_path'``.
        num_classes (int, optional): If given, ids ``>= num_classes`` other
            than ``ignore_index`` raise an error that lists them.
        ignore_index (int): Id of unlabelled pixels. The rest of the toolbox
            expects 255. Defaults to 255.
        reduce_zero_label (bool): Map id 0 (void) to ``ignore_index`` and
            shift the other ids down by one, for files that store classes as
            1..C (e.g. NYU-40 PNGs). Checked after the shift. Defaults to
            False.
        backend_args (dict, optional): Arguments of the MMEngine file
            backend. Defaults to None (local files).
    """

    def __init__(
        self,
        path_key: str = 'seg_map_path',
        num_classes: Optional[int] = None,
        ignore_index: int = 255,
        reduce_zero_label: bool = False,
        backend_args: Optional[dict] = None,
    ):
        self.path_key = path_key
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.reduce_zero_label = reduce_zero_label
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        owner = type(self).__name__
        path = _get_path(results, self.path_key, owner)
        content = _read_bytes(path, owner, 'label', self.backend_args)
        try:
            with Image.open(io.BytesIO(content)) as pil:
                labels = np.array(pil)
        except (UnidentifiedImageError, OSError) as err:
            raise ValueError(
                f'{owner}: cannot decode label file {path} (empty, corrupt '
                'or not an image).'
            ) from err
        if labels.ndim != 2:
            raise ValueError(
                f'{owner}: label file {path} has shape {labels.shape}; a '
                'label map must be single-channel (H x W) class ids, not a '
                'colour image.'
            )
        if labels.dtype.kind not in 'ui':
            raise TypeError(
                f'{owner}: label file {path} has dtype {labels.dtype}; '
                'expected integer class ids.'
            )
        if labels.dtype != np.uint8:
            labels = labels.astype(np.int64)
        if self.reduce_zero_label:
            void = labels == 0
            labels = labels - 1
            labels[void] = self.ignore_index
            labels[labels == self.ignore_index - 1] = self.ignore_index
        if self.num_classes is not None:
            ids = np.unique(labels)
            bad = ids[(ids >= self.num_classes) & (ids != self.ignore_index)]
            if bad.size:
                raise ValueError(
                    f'{owner}: label file {path} has class ids '
                    f'{bad.tolist()} outside 0..{self.num_classes - 1} '
                    f'(ignore_index={self.ignore_index}).'
                )
        _check_same_size(results, labels.shape, path, owner, 'label')
        results['gt_sem_seg'] = labels
        return results

    def __repr__(self) -> str:
        return (
            f'{type(self).__name__}(path_key={self.path_key!r}, '
            f'num_classes={self.num_classes}, '
            f'ignore_index={self.ignore_index}, '
            f'reduce_zero_label={self.reduce_zero_label}, '
            f'backend_args={self.backend_args})'
        )


@TRANSFORMS.register_module()
class LoadNormal(BaseTransform):
    """Load a surface-normal map into the internal camera frame.

    The internal frame is the camera frame: x right, y down, z forward, with
    normals pointing towards the camera; the zero vector marks an invalid
    pixel. Files use other conventions, so channel ``i`` of the result is
    ``signs[i] * file_channel[axis_order[i]]``. For example the Ladicky NYU
    GT PNGs (channel 0 = right, 1 = viewing axis, negative towards the
    camera, 2 = up) need ``axis_order=(0, 2, 1), signs=(1, -1, 1)``.

    - ``encoding='png'``: a 3-channel 8/16-bit image whose channels are taken
      in R, G, B order and decoded as ``n = 2 * v / vmax - 1`` (``vmax`` =
      255 or 65535).
    - ``encoding='npy'``: an ``H x W x 3`` float array.

    Vectors are re-normalised to unit length; vectors shorter than 0.5
    before re-normalisation (the encoded zero vector) become 0 = invalid.

    Required keys: ``path_key``. Added keys: ``gt_normal`` (``H x W x 3``
    float32).

    Args:
        path_key (str): Key of the file path. Defaults to ``'normal_path'``.
        encoding (str): ``'png'`` or ``'npy'``. Defaults to ``'png'``.
        axis_order (Sequence[int]): File channel of each internal axis.
            Defaults to (0, 1, 2).
        signs (Sequence[int]): Sign (+1 / -1) of each internal axis.
            Defaults to (1, 1, 1).
        backend_args (dict, optional): Arguments of the MMEngine file
            backend. Defaults to None (local files).
    """

    def __init__(
        self,
        path_key: str = 'normal_path',
        encoding: str = 'png',
        axis_order: Sequence[int] = (0, 1, 2),
        signs: Sequence[int] = (1, 1, 1),
        backend_args: Optional[dict] = None,
    ):
        if encoding not in ('png', 'npy'):
            raise ValueError(
                f"LoadNormal: encoding must be 'png' or 'npy', got "
                f'{encoding!r}.'
            )
        if sorted(axis_order) != [0, 1, 2]:
            raise ValueError(
                'LoadNormal: axis_order must be a permutation of (0, 1, 2), '
                f'got {axis_order}.'
            )
        if len(signs) != 3 or any(s not in (1, -1) for s in signs):
            raise ValueError(
                f'LoadNormal: signs must be three values +1 or -1, got '
                f'{signs}.'
            )
        self.path_key = path_key
        self.encoding = encoding
        self.axis_order = tuple(int(a) for a in axis_order)
        self.signs = tuple(int(s) for s in signs)
        self.backend_args = backend_args

    def _read(self, path) -> np.ndarray:
        owner = type(self).__name__
        content = _read_bytes(path, owner, 'normal', self.backend_args)
        if self.encoding == 'npy':
            try:
                normal = np.load(io.BytesIO(content), allow_pickle=False)
            except (ValueError, OSError, EOFError) as err:
                raise ValueError(
                    f'{owner}: cannot read normal file {path} as .npy '
                    f'(corrupt or not a NumPy file): {err}'
                ) from err
            if normal.dtype.kind != 'f':
                raise TypeError(
                    f'{owner}: normal file {path} has dtype {normal.dtype}; '
                    "expected floats (use encoding='png' for images)."
                )
        else:
            img = _decode_image(
                content, cv2.IMREAD_UNCHANGED, path, owner, 'normal'
            )
            if img.dtype not in (np.uint8, np.uint16):
                raise TypeError(
                    f'{owner}: normal file {path} has dtype {img.dtype}; '
                    'expected an 8-bit or 16-bit image.'
                )
            if img.ndim != 3 or img.shape[2] != 3:
                raise ValueError(
                    f'{owner}: normal file {path} has shape {img.shape}; '
                    'expected a 3-channel image.'
                )
            vmax = np.iinfo(img.dtype).max
            rgb = img[..., ::-1].astype(np.float32)
            normal = 2.0 * rgb / vmax - 1.0
        if normal.ndim != 3 or normal.shape[2] != 3:
            raise ValueError(
                f'{owner}: normal file {path} has shape {normal.shape}; '
                'expected H x W x 3.'
            )
        if not np.isfinite(normal).all():
            raise ValueError(
                f'{owner}: normal file {path} has NaN/inf values; mark '
                'invalid pixels with the zero vector.'
            )
        return normal.astype(np.float32)

    def transform(self, results: dict) -> dict:
        owner = type(self).__name__
        path = _get_path(results, self.path_key, owner)
        normal = self._read(path)
        normal = normal[..., list(self.axis_order)] * np.asarray(
            self.signs, dtype=np.float32
        )
        norm = np.linalg.norm(normal, axis=2, keepdims=True)
        valid = norm >= _MIN_NORMAL_NORM
        normal = np.where(valid, normal / np.maximum(norm, 1e-12), 0.0)
        _check_same_size(results, normal.shape, path, owner, 'normal')
        results['gt_normal'] = normal.astype(np.float32)
        return results

    def __repr__(self) -> str:
        return (
            f'{type(self).__name__}(path_key={self.path_key!r}, '
            f'encoding={self.encoding!r}, axis_order={self.axis_order}, '
            f'signs={self.signs}, backend_args={self.backend_args})'
        )


__all__ = ['LoadRGBImage', 'LoadDepth', 'LoadSemSeg', 'LoadNormal']
