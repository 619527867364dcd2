"""Loading transforms: images, depth, disparity, labels and normals.

Every loader checks what it reads and fails with an error that names the
file, the field and what was expected (missing or corrupt file, wrong dtype,
wrong number of channels, wrong size, NaN/inf, negative depth, no valid
pixel, unknown class ids), so that a bad file never becomes a silent wrong
number.
"""

import io
from typing import Optional, Sequence, Union

import cv2
import mmengine.fileio as fileio
import numpy as np
from PIL import Image, UnidentifiedImageError

from mmdepthsr.registry import TRANSFORMS

from .base import DenseTransform

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


def _lookup_table(label_map) -> np.ndarray:
    """A 1-D int64 lookup array from a dict or a sequence of train ids.

    Entry ``i`` is the target of file id ``i``; -1 marks an unknown id.
    """
    if isinstance(label_map, dict):
        keys = [int(k) for k in label_map]
        if any(k < 0 for k in keys):
            raise ValueError(
                'LoadSemSeg: label_map keys must be non-negative file ids, '
                f'got {sorted(k for k in keys if k < 0)}.'
            )
        lut = np.full(max(keys, default=-1) + 1, -1, dtype=np.int64)
        for key, value in label_map.items():
            lut[int(key)] = int(value)
    else:
        lut = np.asarray(label_map)
        if lut.ndim != 1 or lut.dtype.kind not in 'ui':
            raise ValueError(
                'LoadSemSeg: label_map must be a dict or a 1-D integer '
                f'lookup array, got shape {lut.shape} and dtype {lut.dtype}.'
            )
        lut = lut.astype(np.int64)
        lut[lut < 0] = -1
    if lut.size == 0:
        raise ValueError('LoadSemSeg: label_map is empty.')
    return lut


@TRANSFORMS.register_module()
class LoadRGBImage(DenseTransform):
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

    reads_files = True

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
class LoadDepth(DenseTransform):
    """Load a depth map in metres (``0`` = invalid).

    Supported files:

    - 16-bit PNG (any integer image OpenCV reads): metres =
      value / ``depth_scale``, which is **required** (1000 for millimetre
      PNGs such as NYU ``sync_depth``; 256 for KITTI).
    - float32 images (e.g. TIFF): metres; ``depth_scale`` optional divisor.
    - ``.npy``: float arrays are metres (``depth_scale`` is an optional
      divisor); integer arrays need ``depth_scale``.

    8-bit files (PNG or ``.npy``) are refused unless ``allow_8bit=True``:
    8 bits hold 256 levels, so a metric map saved as 8-bit has lost its
    range (at most 0.255 m with ``depth_scale=1000``) and would load as
    silently wrong metres. Data that really are 8-bit, such as Middlebury's
    disparity grey levels (``depth_scale=1.0``), declare it with
    ``allow_8bit=True``.

    The map must be ``H x W`` or ``H x W x 1``, finite, non-negative and have
    at least one valid (non-zero) pixel. When an image is already loaded,
    the map must have its size, except ``lr_depth``, which must be the image
    (or ``gt_depth``) divided by one integer factor, stored as
    ``results['scale_factor']``.

    Without its own ``depth_scale``, the loader takes the sample's
    ``results['depth_scale']`` when a dataset sets it (e.g.
    :class:`~mmdepthsr.datasets.DepthFolderDataset`) for integer files; a
    float file with a dataset ``depth_scale``, or both set and different,
    is an error.

    Required keys: ``path_key``. Optional key: ``depth_scale``. Added keys:
    ``key`` (``H x W`` float32) and, for ``lr_depth`` after an image,
    ``scale_factor``.

    Args:
        key (str): Where to store the map. Defaults to ``'gt_depth'``.
        path_key (str): Key of the file path. Defaults to ``'depth_path'``.
        depth_scale (float, optional): Stored value per metre. Required for
            integer files (here or from the dataset). Defaults to None.
        allow_8bit (bool): Accept 8-bit files (the data are 8-bit by
            design, e.g. Middlebury grey levels). Defaults to False.
        backend_args (dict, optional): Arguments of the MMEngine file
            backend. Defaults to None (local files).
    """

    reads_files = True

    def __init__(
        self,
        key: str = 'gt_depth',
        path_key: str = 'depth_path',
        depth_scale: Optional[float] = None,
        allow_8bit: bool = False,
        backend_args: Optional[dict] = None,
    ):
        if depth_scale is not None and not depth_scale > 0:
            raise ValueError(
                f'LoadDepth: depth_scale must be positive, got {depth_scale}.'
            )
        self.key = key
        self.path_key = path_key
        self.depth_scale = depth_scale
        self.allow_8bit = bool(allow_8bit)
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

    def _scale(self, results: dict, path) -> Optional[float]:
        """``depth_scale``, or the sample's when the loader has none."""
        given = results.get('depth_scale')
        if given is None:
            return self.depth_scale
        if self.depth_scale is None:
            return float(given)
        if float(given) != float(self.depth_scale):
            raise ValueError(
                f'{type(self).__name__}: {self.key} file {path}: the dataset '
                f'sets depth_scale={given} but LoadDepth has depth_scale='
                f'{self.depth_scale}; set it in one place.'
            )
        return self.depth_scale

    def _to_metres(
        self, depth: np.ndarray, path, scale: Optional[float]
    ) -> np.ndarray:
        owner = type(self).__name__
        kind = depth.dtype.kind
        if kind in 'ui' and depth.dtype.itemsize == 1 and not self.allow_8bit:
            deepest = (
                ''
                if scale is None
                else f' (at most {255 / scale:.4g} m with depth_scale={scale})'
            )
            raise ValueError(
                f'{owner}: {self.key} file {path} is 8-bit ({depth.dtype}, '
                f'256 levels{deepest}); metric depth needs 16 bits or floats. '
                'Re-save the map as a 16-bit PNG (e.g. millimetres with '
                'depth_scale=1000) or a float .npy in metres; if the data '
                'are 8-bit by design (e.g. Middlebury grey levels), set '
                'allow_8bit=True in LoadDepth.'
            )
        if kind in 'ui':
            if scale is None:
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
        elif scale is not None and self.depth_scale is None:
            raise ValueError(
                f'{owner}: {self.key} file {path} stores floats (metres) but '
                f'the dataset sets depth_scale={scale} (for integer files); '
                'give the dataset depth_scale=None for float depth files.'
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
        if scale is not None:
            depth = depth / np.float32(scale)
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
        depth = self._to_metres(depth, path, self._scale(results, path))
        self._check_size(results, depth, path)
        results[self.key] = depth
        return results

    def __repr__(self) -> str:
        return (
            f'{type(self).__name__}(key={self.key!r}, '
            f'path_key={self.path_key!r}, depth_scale={self.depth_scale}, '
            f'allow_8bit={self.allow_8bit}, backend_args={self.backend_args})'
        )


@TRANSFORMS.register_module()
class LoadDisparityDepth(DenseTransform):
    """Load a stereo disparity PNG and turn it into metric depth.

    The Cityscapes encoding (``mcordts/cityscapesScripts`` README): a 16-bit
    PNG value ``p`` holds ``disparity_px = (p - 1) / 256`` for ``p > 0``;
    ``p = 0`` is invalid. Depth in metres is ``baseline * fx /
    disparity_px``, with ``fx`` (pixels) of the image the disparity belongs
    to and the stereo baseline (metres). Pixels with ``p = 0`` or
    ``disparity_px <= 0`` (``p = 1``, zero disparity = infinitely far) get
    depth 0 (invalid), as in the Monocular-Depth-Estimation-Toolbox
    ``DisparityLoadAnnotations``. Computed in float64, stored as float32.

    Run it right after loading the image, before any geometric transform:
    ``fx`` must be the one of the file's resolution. Resizing afterwards is
    consistent: :class:`Resize` scales ``fx`` with the image and keeps the
    depth values, so ``baseline * fx' / depth`` is the disparity in pixels
    of the resized image (at 512 x 256 from 2048 x 1024,
    ``(p - 1) / (256 * 4)``, the Auto-Lambda encoding).

    Required keys: ``path_key``, ``baseline_key`` (metres) and
    ``cam_intrinsics`` (``[fx, fy, cx, cy]``). Added key: ``key``
    (``H x W`` float32 metres, 0 = invalid).

    Args:
        key (str): Where to store the depth. Defaults to ``'gt_depth'``.
        path_key (str): Key of the disparity file path. Defaults to
            ``'disparity_path'``.
        baseline_key (str): Key of the stereo baseline in metres. Defaults
            to ``'stereo_baseline'``.
        disparity_scale (float): Stored value per pixel of disparity.
            Defaults to 256 (Cityscapes).
        disparity_offset (float): Value subtracted before scaling.
            Defaults to 1 (Cityscapes).
        backend_args (dict, optional): Arguments of the MMEngine file
            backend. Defaults to None (local files).
    """

    reads_files = True

    def __init__(
        self,
        key: str = 'gt_depth',
        path_key: str = 'disparity_path',
        baseline_key: str = 'stereo_baseline',
        disparity_scale: float = 256.0,
        disparity_offset: float = 1.0,
        backend_args: Optional[dict] = None,
    ):
        if not disparity_scale > 0:
            raise ValueError(
                'LoadDisparityDepth: disparity_scale must be positive, got '
                f'{disparity_scale}.'
            )
        self.key = key
        self.path_key = path_key
        self.baseline_key = baseline_key
        self.disparity_scale = float(disparity_scale)
        self.disparity_offset = float(disparity_offset)
        self.backend_args = backend_args

    def _camera(self, results: dict, path) -> tuple:
        """``(baseline, fx)`` of the sample, checked."""
        owner = type(self).__name__
        baseline = results.get(self.baseline_key)
        if baseline is None:
            raise KeyError(
                f'{owner}: {path} needs results[{self.baseline_key!r}] (the '
                'stereo baseline in metres); the dataset did not set it.'
            )
        intrinsics = results.get('cam_intrinsics')
        if intrinsics is None:
            raise KeyError(
                f'{owner}: {path} needs results["cam_intrinsics"] '
                '([fx, fy, cx, cy]); the dataset did not set it.'
            )
        baseline = float(baseline)
        fx = float(np.asarray(intrinsics, dtype=np.float64).reshape(-1)[0])
        for name, value in (('stereo baseline', baseline), ('fx', fx)):
            if not (np.isfinite(value) and value > 0):
                raise ValueError(
                    f'{owner}: {path} has {name} {value}; it must be a '
                    'finite positive number.'
                )
        return baseline, fx

    def transform(self, results: dict) -> dict:
        owner = type(self).__name__
        path = _get_path(results, self.path_key, owner)
        baseline, fx = self._camera(results, path)
        content = _read_bytes(path, owner, 'disparity', self.backend_args)
        stored = _decode_image(
            content, cv2.IMREAD_UNCHANGED, path, owner, 'disparity'
        )
        stored = _squeeze_single_channel(stored, path, owner, 'disparity')
        if stored.dtype.kind not in 'ui':
            raise TypeError(
                f'{owner}: disparity file {path} has dtype {stored.dtype}; '
                'expected an integer (16-bit PNG) disparity map.'
            )
        _check_same_size(results, stored.shape, path, owner, 'disparity')
        disparity = (
            stored.astype(np.float64) - self.disparity_offset
        ) / self.disparity_scale
        valid = (stored > 0) & (disparity > 0)
        if not valid.any():
            raise ValueError(
                f'{owner}: disparity file {path} has no valid pixel (every '
                f'value is 0 or gives a disparity <= 0).'
            )
        depth = np.zeros(stored.shape, dtype=np.float64)
        depth[valid] = baseline * fx / disparity[valid]
        results[self.key] = depth.astype(np.float32)
        return results

    def __repr__(self) -> str:
        return (
            f'{type(self).__name__}(key={self.key!r}, '
            f'path_key={self.path_key!r}, '
            f'baseline_key={self.baseline_key!r}, '
            f'disparity_scale={self.disparity_scale}, '
            f'disparity_offset={self.disparity_offset}, '
            f'backend_args={self.backend_args})'
        )


@TRANSFORMS.register_module()
class LoadSemSeg(DenseTransform):
    """Load a semantic label map (class ids, ``ignore_index`` = unlabelled).

    The file is read with Pillow, so palette PNGs give their indices (not
    their colours). Colour (3-channel) label images are rejected.

    With a label map, the file ids are looked up first and the
    ``num_classes`` check applies to the training ids.

    Required keys: ``path_key``. Optional key: ``label_map``. Added keys:
    ``gt_sem_seg`` (``H x W``, uint8 for 8-bit files and for mapped labels
    that fit in 0..255, int64 otherwise).

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
        label_map (dict | Sequence[int] | np.ndarray, optional): Lookup from
            the ids stored in the file to the training ids, either a dict
            ``{file_id: train_id}`` or an array whose entry ``i`` is the
            training id of file id ``i`` (e.g. Cityscapes ``labelIds`` ->
            19 train ids, 255 = ignore). A negative entry, or an id beyond
            the end of the array, marks an id as unknown. When None and the
            results carry a ``label_map`` (set per sample by datasets such as
            ``CityscapesDataset``), that one is used. Cannot be combined with
            ``reduce_zero_label``. Defaults to None.
        unknown_label (str): What to do with file ids that ``label_map``
            does not know: ``'error'`` raises a ValueError that lists them
            and names the file; ``'ignore'`` turns them into
            ``ignore_index``. Defaults to ``'error'``.
        backend_args (dict, optional): Arguments of the MMEngine file
            backend. Defaults to None (local files).
    """

    reads_files = True
    needs_gt = True

    def __init__(
        self,
        path_key: str = 'seg_map_path',
        num_classes: Optional[int] = None,
        ignore_index: int = 255,
        reduce_zero_label: bool = False,
        label_map: Optional[Union[dict, Sequence[int], np.ndarray]] = None,
        unknown_label: str = 'error',
        backend_args: Optional[dict] = None,
    ):
        if unknown_label not in ('error', 'ignore'):
            raise ValueError(
                "LoadSemSeg: unknown_label must be 'error' or 'ignore', got "
                f'{unknown_label!r}.'
            )
        if label_map is not None and reduce_zero_label:
            raise ValueError(
                'LoadSemSeg: give label_map or reduce_zero_label, not both '
                '(put the shift into the label map).'
            )
        self.path_key = path_key
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.reduce_zero_label = reduce_zero_label
        self.label_map = (
            None if label_map is None else _lookup_table(label_map)
        )
        self.unknown_label = unknown_label
        self.backend_args = backend_args

    def _apply_label_map(self, labels, lut: np.ndarray, path) -> np.ndarray:
        """Look the file ids up in ``lut``; unknown ids error or ignore."""
        owner = type(self).__name__
        ids = labels.astype(np.int64)
        inside = (ids >= 0) & (ids < lut.size)
        mapped = np.full(ids.shape, -1, dtype=np.int64)
        mapped[inside] = lut[ids[inside]]
        unknown = mapped < 0
        if unknown.any():
            if self.unknown_label == 'error':
                bad = np.unique(ids[unknown])
                shown = bad[:20].tolist()
                more = ', ...' if bad.size > 20 else ''
                raise ValueError(
                    f'{owner}: label file {path} has {int(unknown.sum())} '
                    f'pixel(s) with ids {shown}{more} that the label map '
                    f'(ids 0..{lut.size - 1}) does not know; fix the file, '
                    "extend the map or pass unknown_label='ignore'."
                )
            mapped[unknown] = self.ignore_index
        if mapped.max() <= 255:
            return mapped.astype(np.uint8)
        return mapped

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
        lut = self.label_map
        if lut is None and results.get('label_map') is not None:
            if self.reduce_zero_label:
                raise ValueError(
                    f'{owner}: {path} comes with a label_map from the '
                    'dataset, which cannot be combined with '
                    'reduce_zero_label=True.'
                )
            lut = _lookup_table(results['label_map'])
        if lut is not None:
            labels = self._apply_label_map(labels, lut, path)
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
            f'label_map={self._label_map_repr()}, '
            f'unknown_label={self.unknown_label!r}, '
            f'backend_args={self.backend_args})'
        )

    def _label_map_repr(self) -> str:
        if self.label_map is None:
            return 'None'
        return f'<{self.label_map.size} ids>'


@TRANSFORMS.register_module()
class LoadNormal(DenseTransform):
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

    reads_files = True
    needs_gt = True

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


__all__ = [
    'LoadRGBImage',
    'LoadDepth',
    'LoadDisparityDepth',
    'LoadSemSeg',
    'LoadNormal',
]
