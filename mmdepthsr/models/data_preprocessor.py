"""Normalise, pad and batch images and dense ground truth on the device."""

from numbers import Number
from typing import Dict, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseDataPreprocessor
from mmengine.structures import PixelData

from mmdepthsr.registry import MODELS

#: Padding value of each padded ground-truth field (0 marks invalid depth and
#: normals; 255 is the ignore index of labels).
_GT_PAD_VALUES = dict(gt_depth=0.0, gt_normal=0.0, gt_sem_seg=255)


@MODELS.register_module()
class DenseDataPreprocessor(BaseDataPreprocessor):
    """Data preprocessor for dense prediction.

    It moves the batch to the model's device, converts images to float,
    normalises them with ``mean`` / ``std``, pads every image of the batch to
    a common size (optionally a multiple of ``size_divisor``) and stacks
    them. For training, ground-truth maps with the same size as their image
    are padded alike (depth and normals with 0 = invalid, labels with
    ``seg_pad_val``), so that every pixel a loss sees is either real or
    marked invalid; at test time they keep their size (the estimators cut
    the padding off their predictions, and a metric that counts every
    pixel must not see padded ones). ``lr_depth`` stays on each sample: it
    has its own size; :func:`mmdepthsr.models.utils.stack_lr_depth` batches
    it.

    :meth:`normalize` and :meth:`denormalize` expose the image mapping
    (channel order, mean and std) and its inverse, and :meth:`renormalize`
    normalises the batch again with other statistics, so that a model part
    that needs its input normalised differently (the fine stack of the
    Eigen models, each branch of ``CoupledDepthSR``) does not repeat the
    arithmetic.

    Args:
        mean (Sequence[float], optional): Per-channel mean of the image in
            its loaded channel order and 0-255 range. Defaults to None
            (no normalisation).
        std (Sequence[float], optional): Per-channel std. Defaults to None.
        bgr_to_rgb (bool): Swap the first and last image channels before
            normalisation. Defaults to False (the loaders give RGB).
        size_divisor (int, optional): Pad the batch to a multiple of this.
        pad_val (float): Padding value of the image (before
            normalisation). Defaults to 0.
        seg_pad_val (int): Padding value of ``gt_sem_seg``. Defaults to 255.
    """

    def __init__(
        self,
        mean: Optional[Sequence[Number]] = None,
        std: Optional[Sequence[Number]] = None,
        bgr_to_rgb: bool = False,
        size_divisor: Optional[int] = None,
        pad_val: float = 0.0,
        seg_pad_val: int = 255,
        non_blocking: bool = False,
    ):
        super().__init__(non_blocking=non_blocking)
        if (mean is None) != (std is None):
            raise ValueError(
                'DenseDataPreprocessor: give both `mean` and '
                '`std`, or neither.'
            )
        self._enable_normalize = mean is not None
        if self._enable_normalize:
            if len(mean) != 3 or len(std) != 3:
                raise ValueError(
                    'DenseDataPreprocessor: `mean` and `std` '
                    f'need 3 values, got {mean} and {std}.'
                )
            self.register_buffer(
                'mean', torch.tensor(mean).view(-1, 1, 1), False
            )
            self.register_buffer(
                'std', torch.tensor(std).view(-1, 1, 1), False
            )
        self.bgr_to_rgb = bgr_to_rgb
        self.size_divisor = size_divisor
        self.pad_val = pad_val
        self.gt_pad_values = dict(_GT_PAD_VALUES, gt_sem_seg=seg_pad_val)

    def forward(self, data: dict, training: bool = False) -> Dict:
        """Preprocess a batch.

        Args:
            data (dict): ``inputs`` (list of ``(3, H, W)`` tensors or an
                ``(N, 3, H, W)`` tensor) and ``data_samples`` (list of
                :class:`DenseDataSample`).
            training (bool): Whether the batch is for training.

        Returns:
            dict: ``inputs`` ``(N, 3, H', W')`` float tensor and the data
            samples, with ``batch_input_shape`` and ``pad_shape`` set.
        """
        data = self.cast_data(data)
        inputs = data['inputs']
        data_samples = data.get('data_samples')
        if isinstance(inputs, torch.Tensor):
            inputs = list(inputs)
        imgs = []
        for img in inputs:
            if img.dim() != 3 or img.shape[0] != 3:
                raise ValueError(
                    'DenseDataPreprocessor expects images of shape '
                    f'(3, H, W), got {tuple(img.shape)}.'
                )
            imgs.append(self.normalize(img))
        max_h = max(img.shape[-2] for img in imgs)
        max_w = max(img.shape[-1] for img in imgs)
        if self.size_divisor:
            div = self.size_divisor
            max_h = (max_h + div - 1) // div * div
            max_w = (max_w + div - 1) // div * div
        pad_val = self._normalized_pad_value(imgs[0])
        batch = []
        for i, img in enumerate(imgs):
            h, w = img.shape[-2:]
            padding = (0, max_w - w, 0, max_h - h)
            batch.append(
                F.pad(img, padding, value=0.0)
                + (
                    pad_val * self._pad_mask(img, padding)
                    if any(padding)
                    else 0.0
                )
            )
            if data_samples is not None:
                if training:
                    self._pad_gt(data_samples[i], (h, w), padding)
                data_samples[i].set_metainfo(
                    dict(
                        batch_input_shape=(max_h, max_w),
                        pad_shape=(max_h, max_w),
                    )
                )
        return dict(inputs=torch.stack(batch), data_samples=data_samples)

    @property
    def enable_normalize(self) -> bool:
        """bool: Whether :meth:`normalize` applies ``mean`` and ``std``."""
        return self._enable_normalize

    def normalize(self, img: torch.Tensor) -> torch.Tensor:
        """Map loaded images to the model input: channel swap (with
        ``bgr_to_rgb``), float, then ``(img - mean) / std``.

        Args:
            img (Tensor): ``(N, 3, H, W)`` batch or ``(3, H, W)`` image in
                its loaded channel order and 0-255 range, any dtype.

        Returns:
            Tensor: Float tensor of the same shape.

        Raises:
            ValueError: If the image has not 3 channels in dim ``-3``.
        """
        self._check_image(img, 'normalize')
        if self.bgr_to_rgb:
            img = img[..., [2, 1, 0], :, :]
        img = img.float()
        if self._enable_normalize:
            img = (img - self.mean) / self.std
        return img

    def denormalize(self, img: torch.Tensor) -> torch.Tensor:
        """Inverse of :meth:`normalize`: ``img * std + mean``, then the
        channels back to the loaded order.

        Args:
            img (Tensor): ``(N, 3, H, W)`` batch or ``(3, H, W)`` image as
                the preprocessor outputs it.

        Returns:
            Tensor: Same shape, loaded channel order and 0-255 range (not
            rounded or clipped).

        Raises:
            ValueError: If the image has not 3 channels in dim ``-3``.
        """
        self._check_image(img, 'denormalize')
        if self._enable_normalize:
            img = img * self.std + self.mean
        if self.bgr_to_rgb:
            img = img[..., [2, 1, 0], :, :]
        return img

    def renormalize(
        self,
        img: torch.Tensor,
        mean: Union[float, Sequence[float]],
        std: Union[float, Sequence[float]],
    ) -> torch.Tensor:
        """Normalise the model input again with other statistics.

        The image is brought back to 0-255 (``img * std + mean``) and
        normalised with the given ``mean`` and ``std``; the channels stay
        in the model's order. This is the input of a model part with its
        own image statistics, e.g. the fine stack of Eigen et al.

        Args:
            img (Tensor): ``(N, 3, H, W)`` batch or ``(3, H, W)`` image as
                the preprocessor outputs it.
            mean (float | Sequence[float]): The new mean, one value or one
                per channel in the model's channel order (0-255 range).
            std (float | Sequence[float]): The new std, alike.

        Returns:
            Tensor: Same shape.

        Raises:
            ValueError: If the image has not 3 channels in dim ``-3``.
        """
        self._check_image(img, 'renormalize')
        if self._enable_normalize:
            img = img * self.std + self.mean
        if not isinstance(mean, Number):
            mean = img.new_tensor(mean).view(-1, 1, 1)
        if not isinstance(std, Number):
            std = img.new_tensor(std).view(-1, 1, 1)
        return (img - mean) / std

    @staticmethod
    def _check_image(img: torch.Tensor, method: str) -> None:
        if img.dim() not in (3, 4) or img.shape[-3] != 3:
            raise ValueError(
                f'DenseDataPreprocessor.{method} expects images of shape '
                f'(N, 3, H, W) or (3, H, W), got {tuple(img.shape)}.'
            )

    def _normalized_pad_value(self, img: torch.Tensor) -> torch.Tensor:
        value = torch.full((3, 1, 1), float(self.pad_val), device=img.device)
        if self._enable_normalize:
            value = (value - self.mean) / self.std
        return value

    @staticmethod
    def _pad_mask(img: torch.Tensor, padding) -> torch.Tensor:
        """1 on padded pixels, 0 on the image."""
        ones = torch.zeros_like(img[:1])
        return F.pad(ones, padding, value=1.0)

    def _pad_gt(self, sample, img_hw, padding) -> None:
        if not any(padding):
            return
        for key, value in self.gt_pad_values.items():
            if key not in sample:
                continue
            field = getattr(sample, key)
            if tuple(field.data.shape[-2:]) != tuple(img_hw):
                # Ground truth kept at the original resolution for
                # evaluation is compared after the prediction is resized.
                continue
            setattr(
                sample,
                key,
                PixelData(
                    data=F.pad(field.data, padding, value=value),
                    metainfo=field.metainfo,
                ),
            )
