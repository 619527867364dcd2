"""The data sample that travels between datasets, models and metrics."""

from mmengine.structures import BaseDataElement, PixelData


def _pixel_property(name: str, doc: str) -> property:
    """Build a typed ``PixelData`` property named ``name``."""
    private = f'_{name}'

    def getter(self):
        return getattr(self, private)

    def setter(self, value: PixelData):
        self.set_field(value, private, dtype=PixelData)

    def deleter(self):
        delattr(self, private)

    return property(getter, setter, deleter, doc)


class DenseDataSample(BaseDataElement):
    """Data sample for dense geometry tasks.

    Every field is a :class:`mmengine.structures.PixelData` whose ``data`` is
    a tensor of shape ``(C, H, W)``:

    - ``gt_depth`` (1 channel, metres, float32, 0 = invalid)
    - ``gt_sem_seg`` (1 channel, int64, 255 = ignore)
    - ``gt_normal`` (3 channels, unit vectors in the camera frame, x right,
      y down, z forward, pointing towards the camera; the zero vector marks
      an invalid pixel)
    - ``lr_depth`` (1 channel, metres; the low-resolution input of depth
      super-resolution, ``h x w`` smaller than the image)
    - ``pred_depth`` (monocular depth output, metres)
    - ``pred_sr_depth`` (depth super-resolution output, metres)
    - ``pred_sem_seg`` (class ids), ``seg_logits`` (C classes)
    - ``pred_normal`` (3 channels, unit vectors)

    The metainfo holds ``img_path``, ``ori_shape``, ``img_shape``,
    ``cam_intrinsics`` (fx, fy, cx, cy of the image as it is after every
    geometric transform), ``scale_factor`` (DSR) and the patch bookkeeping
    (``patch_box``, ``depth_norm_max``).

    Examples:
        >>> import torch
        >>> from mmengine.structures import PixelData
        >>> sample = DenseDataSample(metainfo=dict(img_shape=(4, 5)))
        >>> sample.gt_depth = PixelData(data=torch.ones(1, 4, 5))
        >>> 'gt_depth' in sample
        True
    """

    gt_depth = _pixel_property('gt_depth', 'Ground-truth depth in metres.')
    gt_sem_seg = _pixel_property('gt_sem_seg', 'Ground-truth class ids.')
    gt_normal = _pixel_property('gt_normal', 'Ground-truth unit normals.')
    lr_depth = _pixel_property('lr_depth', 'Low-resolution input depth.')
    pred_depth = _pixel_property('pred_depth', 'Predicted depth (MDE).')
    pred_sr_depth = _pixel_property(
        'pred_sr_depth', 'Super-resolved depth (DSR).'
    )
    pred_sem_seg = _pixel_property('pred_sem_seg', 'Predicted class ids.')
    seg_logits = _pixel_property('seg_logits', 'Segmentation logits.')
    pred_normal = _pixel_property('pred_normal', 'Predicted unit normals.')


#: Names of every ``PixelData`` field of :class:`DenseDataSample`.
PIXEL_FIELDS = (
    'gt_depth',
    'gt_sem_seg',
    'gt_normal',
    'lr_depth',
    'pred_depth',
    'pred_sr_depth',
    'pred_sem_seg',
    'seg_logits',
    'pred_normal',
)
