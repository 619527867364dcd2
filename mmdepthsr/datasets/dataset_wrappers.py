"""Dataset wrappers: regular-grid patches for depth super-resolution.

The patch protocol of guided depth SR training (PMBANet,
Sunbaoli/PMBANet_DSR, trains on pre-cut patch files; its PaddleDepth port
cuts 128 x 128 patches with stride 64): every image is cut into equal-size
patches on a regular grid that covers it completely, each patch is one
training sample. :class:`GridPatchDataset` cuts the patches on the fly from
any dataset whose pipeline loads a sample (and makes ``lr_depth``), so no
patch files are written.
"""

import copy
from collections import OrderedDict
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.dataset import BaseDataset, Compose

from mmdepthsr.registry import DATASETS
from mmdepthsr.structures.protocols import DENSE_KEYS
from mmdepthsr.utils.sizes import IntPair, to_pair

from .transforms.geometric import check_aligned, lr_factor, sample_name


def _grid_positions(size: int, patch: int, stride: int) -> List[int]:
    # Imported here: a module-level import of mmdepthsr.models would load
    # every model whenever the datasets package is imported.
    from mmdepthsr.models.utils.tiling import grid_positions

    return grid_positions(size, patch, stride)


@DATASETS.register_module()
class GridPatchDataset:
    """Cut every image of a dataset into patches on a regular grid.

    Along each axis the patches start at ``0, stride, 2 * stride, ...``
    and, when that does not reach the border, at ``H - h`` (that last patch
    overlaps its neighbour); every pixel is in at least one patch. Patches
    are ordered image by image, row-major within an image: index ``idx``
    maps to ``(source_idx, patch index)``.

    The wrapped dataset's pipeline loads the whole sample (and usually
    makes ``lr_depth`` with ``GenerateLRDepth``) but does not pack it; this
    wrapper cuts the patch and runs its own ``pipeline`` on it (e.g.
    ``NormalizeDepth``, ``RandomFlip``, ``PackDenseInputs``).

    Cutting: ``img``, ``gt_depth``, ``gt_sem_seg`` and ``gt_normal`` are
    cut at the box ``(top, left, h, w)``; ``lr_depth`` (``1 / s`` of the
    image, ``s`` the scale factor) at ``(top/s, left/s, h/s, w/s)``, so
    ``patch_size`` and ``stride`` must be multiples of ``s`` (and the
    image size is one, as ``GenerateLRDepth`` requires): then every HR
    patch has an exact LR patch. ``cam_intrinsics`` become those of the
    patch (``cx - left``, ``cy - top``). Added / changed keys:

    - ``patch_box``: ``(top, left, h, w)`` in HR pixels of the full image;
    - ``patch_grid_index``: ``(row, col)`` of the patch in the image's
      grid (its index within the image is ``row * n_cols + col``);
    - ``source_idx``: index of the image in the wrapped dataset;
    - ``img_shape`` and ``ori_shape``: the patch size (predictions on a
      patch are compared with the patch's ground truth);
    - ``source_shape``: ``(H, W)`` of the full image.

    The number of patches of each image follows from its size, taken from
    ``img_shape`` when given (all images that size), else from the
    ``img_shape`` / ``ori_shape`` entries of the wrapped dataset's data
    list when every entry has one, else from image 0, loaded once, for all
    images. An image whose actual size differs raises an error naming its
    file when it is accessed.

    The ``cache_size`` most recently loaded images are kept (least
    recently used first out), so the patches of an image reuse one load as
    long as they come while it is cached. A shuffled sampler over all
    patches defeats any small cache: every patch then loads (and runs the
    wrapped pipeline on) its full image, i.e. an epoch costs as many image
    loads as there are patches instead of images. :class:`GridPatchSampler`
    shuffles the patches of ``images_per_group`` images at a time, and with
    ``cache_size >= images_per_group`` each image is loaded once per pass
    over the data. Random transforms of the wrapped pipeline are drawn once
    per load and shared by the patches cut from it; per-patch augmentation
    belongs in ``pipeline``. The cache lives in each process (each
    DataLoader worker has its own) and is not pickled.

    Args:
        dataset (dict | Dataset): The wrapped dataset or its config.
        patch_size (int | tuple[int, int]): Patch ``(h, w)`` in HR pixels.
        stride (int | tuple[int, int], optional): Grid step ``(h, w)``,
            at most the patch size. Defaults to ``patch_size`` (no overlap
            except where the size does not divide).
        img_shape (tuple[int, int], optional): ``(H, W)`` of every image
            after the wrapped pipeline, to plan the grid without reading
            the data list or loading an image.
        pipeline (Sequence[dict | Callable]): Transforms applied to each
            patch. Defaults to ``()`` (the raw results dict).
        cache_size (int): Number of loaded images kept in memory (per
            process). Defaults to 1.
        lazy_init (bool): Defer planning the grid to :meth:`full_init`.
            Defaults to False.

    Examples:
        >>> dataset = GridPatchDataset(
        ...     dataset=dict(type='SynthRoomsDataset', split='val',
        ...                  num_samples=2, img_shape=(48, 64)),
        ...     patch_size=32, stride=16)
        >>> len(dataset)  # rows (0, 16) x cols (0, 16, 32) x 2 images
        12
    """

    def __init__(
        self,
        dataset: Union[dict, BaseDataset],
        patch_size: IntPair,
        stride: Optional[IntPair] = None,
        img_shape: Optional[Sequence[int]] = None,
        pipeline: Sequence = (),
        cache_size: int = 1,
        lazy_init: bool = False,
    ):
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dataset)
        if not (
            hasattr(dataset, '__getitem__') and hasattr(dataset, '__len__')
        ):
            raise TypeError(
                'GridPatchDataset: `dataset` must be a dataset config or a '
                f'dataset object, got {type(dataset).__name__}.'
            )
        self.dataset = dataset
        self.patch_size = to_pair(patch_size, 'GridPatchDataset: patch_size')
        self.stride = (
            self.patch_size
            if stride is None
            else to_pair(stride, 'GridPatchDataset: stride')
        )
        if any(s > p for s, p in zip(self.stride, self.patch_size)):
            raise ValueError(
                f'GridPatchDataset: stride {self.stride} must not exceed '
                f'patch_size {self.patch_size}: pixels would be left out.'
            )
        self.img_shape = (
            None
            if img_shape is None
            else to_pair(img_shape, 'GridPatchDataset: img_shape')
        )
        self.pipeline = Compose(list(pipeline))
        if int(cache_size) != cache_size or cache_size < 1:
            raise ValueError(
                'GridPatchDataset: cache_size must be a positive integer '
                f'(images kept in memory), got {cache_size!r}.'
            )
        self.cache_size = int(cache_size)
        self._cache: OrderedDict = OrderedDict()
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        """The wrapped dataset's metainfo (a copy)."""
        return copy.deepcopy(getattr(self.dataset, 'metainfo', {}))

    def full_init(self) -> None:
        """Initialise the wrapped dataset and plan the patch grid."""
        if self._fully_initialized:
            return
        if hasattr(self.dataset, 'full_init'):
            self.dataset.full_init()
        self._shapes, self._shape_origin = self._source_shapes()
        self._grids = {}
        counts = []
        for i, shape in enumerate(self._shapes):
            try:
                rows, cols = self._grid(shape)
            except ValueError as err:
                raise ValueError(
                    f'GridPatchDataset: image {i} of size {shape} (from '
                    f'{self._shape_origin}) cannot hold patch_size '
                    f'{self.patch_size}: {err}'
                ) from err
            counts.append(len(rows) * len(cols))
        self._cumulative = np.cumsum(np.asarray(counts, dtype=np.int64))
        self._fully_initialized = True

    def _grid(self, shape: Tuple[int, int]) -> Tuple[List[int], List[int]]:
        """Row and column offsets of the patches of an image of ``shape``."""
        if shape not in self._grids:
            self._grids[shape] = (
                _grid_positions(shape[0], self.patch_size[0], self.stride[0]),
                _grid_positions(shape[1], self.patch_size[1], self.stride[1]),
            )
        return self._grids[shape]

    def _source_shapes(self) -> Tuple[List[Tuple[int, int]], str]:
        num = len(self.dataset)
        if self.img_shape is not None or num == 0:
            return [self.img_shape] * num, '`img_shape`'
        listed = self._listed_shapes(num)
        if listed is not None:
            return listed, 'the data list'
        probe = self._load(0)
        shape = check_aligned(probe, type(self).__name__)
        return [shape] * num, f'image 0, {sample_name(probe)}'

    def _listed_shapes(self, num: int) -> Optional[List[Tuple[int, int]]]:
        """Shapes recorded in the data list (no pixel loaded), if all are."""
        if not isinstance(self.dataset, BaseDataset):
            return None
        shapes = []
        for i in range(num):
            # The base implementation returns the data-list entry; a
            # subclass's get_data_info may load pixels.
            info = BaseDataset.get_data_info(self.dataset, i)
            shape = info.get('img_shape', info.get('ori_shape'))
            if shape is None:
                return None
            shapes.append(
                to_pair(
                    tuple(shape)[:2],
                    f'GridPatchDataset: img_shape of data list entry {i}',
                )
            )
        return shapes

    def _load(self, src_idx: int) -> dict:
        """The results of the wrapped pipeline for image ``src_idx``."""
        cached = self._cache.get(src_idx)
        if cached is not None:
            self._cache.move_to_end(src_idx)
            return cached
        if isinstance(self.dataset, BaseDataset):
            # Not dataset[i]: in training mode it silently replaces a
            # sample its pipeline drops by a random other one.
            results = self.dataset.prepare_data(src_idx)
        else:
            results = self.dataset[src_idx]
        if results is None:
            raise RuntimeError(
                f'GridPatchDataset: the pipeline of the wrapped dataset '
                f'dropped sample {src_idx}.'
            )
        if not isinstance(results, dict) or 'data_samples' in results:
            raise TypeError(
                f'GridPatchDataset: sample {src_idx} of the wrapped dataset '
                'is already packed; move PackDenseInputs from the wrapped '
                "dataset's pipeline to the GridPatchDataset pipeline."
            )
        self._cache[src_idx] = results
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return results

    def __len__(self) -> int:
        self.full_init()
        return int(self._cumulative[-1]) if len(self._cumulative) else 0

    @property
    def patch_counts(self) -> Tuple[int, ...]:
        """Number of patches of each image of the wrapped dataset; the
        patches of image ``i`` are the indices
        ``sum(patch_counts[:i]) .. sum(patch_counts[:i + 1]) - 1``."""
        self.full_init()
        return tuple(int(c) for c in np.diff(self._cumulative, prepend=0))

    def locate(self, idx: int) -> Tuple[int, int]:
        """Map a patch index to ``(source_idx, patch index in the image)``.

        Raises:
            IndexError: If ``idx`` is out of range.
        """
        length = len(self)
        if not -length <= idx < length:
            raise IndexError(
                f'GridPatchDataset: index {idx} out of range for {length} '
                'patches.'
            )
        idx = int(idx) % length
        src_idx = int(np.searchsorted(self._cumulative, idx, side='right'))
        first = int(self._cumulative[src_idx - 1]) if src_idx else 0
        return src_idx, idx - first

    def get_patch_box(self, idx: int) -> Tuple[int, int, int, int]:
        """``(top, left, h, w)`` of patch ``idx`` (no pixel loaded)."""
        src_idx, patch_idx = self.locate(idx)
        rows, cols = self._grid(self._shapes[src_idx])
        row, col = divmod(patch_idx, len(cols))
        return (rows[row], cols[col], *self.patch_size)

    def cut(self, source: dict, src_idx: int, patch_idx: int) -> dict:
        """Cut patch ``patch_idx`` out of the loaded image ``src_idx``.

        Args:
            source (dict): Results of the wrapped pipeline (not modified).
            src_idx (int): Index of the image in the wrapped dataset.
            patch_idx (int): Row-major index of the patch in the image.

        Returns:
            dict: A new results dict holding copies of the patch's maps.

        Raises:
            ValueError: If the image's size differs from the planned one, or
                the patch is not on the ``lr_depth`` grid.
        """
        owner = type(self).__name__
        name = sample_name(source)
        shape = check_aligned(source, owner)
        expected = self._shapes[src_idx]
        if shape != expected:
            raise ValueError(
                f'{owner}: {name} (image {src_idx}) has size {shape}, but '
                f'the patch grid was planned for {expected} (from '
                f'{self._shape_origin}); give every image one size (e.g. a '
                'Resize or crop in the wrapped pipeline) or record each '
                "image's img_shape in the data list."
            )
        factor = lr_factor(source, shape, owner)
        if factor is not None and any(
            v % factor for v in (*self.patch_size, *self.stride)
        ):
            raise ValueError(
                f'{owner}: patch_size {self.patch_size} and stride '
                f'{self.stride} must be multiples of the lr_depth scale '
                f'factor {factor} of {name}: each HR patch must map to '
                'whole LR pixels (box / scale_factor).'
            )
        rows, cols = self._grid(shape)
        row, col = divmod(patch_idx, len(cols))
        top, left = rows[row], cols[col]
        height, width = self.patch_size
        results = {
            key: copy.deepcopy(value)
            for key, value in source.items()
            if key not in DENSE_KEYS
        }
        for key in DENSE_KEYS:
            value = source.get(key)
            if value is None:
                continue
            if key == 'lr_depth':
                t, le = top // factor, left // factor
                value = value[
                    t : t + height // factor, le : le + width // factor
                ]
            else:
                value = value[top : top + height, left : left + width]
            results[key] = np.array(value, copy=True, order='C')
        if source.get('cam_intrinsics') is not None:
            k = np.array(source['cam_intrinsics'], dtype=np.float64)
            k = k.reshape(-1).copy()
            k[2] -= left
            k[3] -= top
            results['cam_intrinsics'] = k
        results.update(
            img_shape=(height, width),
            ori_shape=(height, width),
            source_shape=shape,
            patch_box=(top, left, height, width),
            patch_grid_index=(row, col),
            source_idx=src_idx,
        )
        return results

    def __getitem__(self, idx: int):
        src_idx, patch_idx = self.locate(idx)
        results = self.cut(self._load(src_idx), src_idx, patch_idx)
        data = self.pipeline(results)
        if data is None:
            raise RuntimeError(
                f'GridPatchDataset: the patch pipeline dropped patch '
                f'{patch_idx} of {sample_name(results)}.'
            )
        return data

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state['_cache'] = OrderedDict()
        return state

    def __repr__(self) -> str:
        return (
            f'{type(self).__name__}(dataset={type(self.dataset).__name__}, '
            f'patch_size={self.patch_size}, stride={self.stride}, '
            f'num_patches={len(self) if self._fully_initialized else "?"})'
        )


__all__ = ['GridPatchDataset']
