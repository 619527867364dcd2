"""Packing of the transform results into model inputs and data samples."""

from typing import Sequence

import numpy as np
import torch
from mmengine.structures import PixelData

from mmdepthsr.registry import TRANSFORMS
from mmdepthsr.structures import DenseDataSample

from .base import DenseTransform
from .geometric import sample_name

#: ``results`` key -> (channels, dtype) of the packed ``PixelData``; a
#: channel count of None means one channel from an ``H x W`` map.
_FIELDS = dict(
    gt_depth=(None, torch.float32),
    lr_depth=(None, torch.float32),
    gt_sem_seg=(None, torch.int64),
    gt_normal=(3, torch.float32),
)


def _to_chw(array: np.ndarray, channels, key: str, name: str) -> torch.Tensor:
    array = np.asarray(array)
    if channels is None:
        if array.ndim == 3 and array.shape[2] == 1:
            array = array[..., 0]
        if array.ndim != 2:
            raise ValueError(
                f'PackDenseInputs: {key} of {name} has shape {array.shape}; '
                'expected H x W.'
            )
        array = array[None]
    else:
        if array.ndim != 3 or array.shape[2] != channels:
            raise ValueError(
                f'PackDenseInputs: {key} of {name} has shape {array.shape}; '
                f'expected H x W x {channels}.'
            )
        array = array.transpose(2, 0, 1)
    array = np.ascontiguousarray(array)
    if not array.flags.writeable:
        array = array.copy()
    return torch.from_numpy(array)


@TRANSFORMS.register_module()
class PackDenseInputs(DenseTransform):
    """Pack the image and the dense maps into a :class:`DenseDataSample`.

    - ``img`` ``H x W x 3`` -> ``inputs``, a contiguous ``(3, H, W)`` tensor
      of the same dtype (uint8 stays uint8; the data preprocessor
      normalises).
    - ``gt_depth`` -> ``PixelData`` ``(1, H, W)`` float32.
    - ``gt_sem_seg`` -> ``(1, H, W)`` int64.
    - ``gt_normal`` ``H x W x 3`` -> ``(3, H, W)`` float32.
    - ``lr_depth`` -> ``(1, h, w)`` float32.

    Only the ``meta_keys`` present in the results become metainfo.

    Args:
        meta_keys (Sequence[str]): Keys copied into the metainfo.
    """

    def __init__(
        self,
        meta_keys: Sequence[str] = (
            'img_path',
            'depth_path',
            'lr_depth_path',
            'seg_map_path',
            'normal_path',
            'ori_shape',
            'img_shape',
            'cam_intrinsics',
            'scale_factor',
            'flip',
            'flip_direction',
            'crop_box',
            'resize_factor',
            'random_scale',
            'rotate_angle',
            'sample_idx',
            'patch_box',
            'patch_grid_index',
            'source_shape',
            'source_idx',
            'depth_norm_min',
            'depth_norm_max',
            'gt_crop_box',
            'stereo_baseline',
            'dataset_name',
        ),
    ):
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        name = sample_name(results)
        if results.get('img') is None:
            raise KeyError(f'PackDenseInputs: {name} has no `img` to pack.')
        inputs = _to_chw(results['img'], 3, 'img', name)
        sample = DenseDataSample()
        for key, (channels, dtype) in _FIELDS.items():
            if results.get(key) is None:
                continue
            data = _to_chw(results[key], channels, key, name).to(dtype)
            setattr(sample, key, PixelData(data=data))
        sample.set_metainfo(
            {key: results[key] for key in self.meta_keys if key in results}
        )
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(meta_keys={self.meta_keys})'


__all__ = ['PackDenseInputs']
