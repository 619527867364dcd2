"""VGG16 conv stack as the scale-1 network of Eigen & Fergus (2015).

Papers: K. Simonyan, A. Zisserman, "Very Deep Convolutional Networks for
Large-Scale Image Recognition", ICLR 2015 (configuration D, the 13 conv
layers); D. Eigen, R. Fergus, "Predicting Depth, Surface Normals and Semantic
Labels with a Common Multi-Scale Convolutional Architecture", ICCV 2015,
scale 1 (VGG version). Layer details follow the authors' Theano release
(``models/iccv15``).

Shapes for a ``3 x 228 x 304`` input (``valid_conv1=True`` in brackets):

=====  ==============================  ==========================
index  output                          C x H x W
=====  ==============================  ==========================
0      conv1_2 (2 convs, 64)           64 x 228 x 304 (224 x 300)
1      conv2_2 (2 convs, 128)          128 x 114 x 152 (112 x 150)
2      conv3_3 (3 convs, 256)          256 x 57 x 76 (56 x 75)
3      conv4_3 (3 convs, 512)          512 x 28 x 38 (28 x 37)
4      conv5_3 (3 convs, 512)          512 x 14 x 19 (14 x 18)
5      pool5                           512 x 7 x 9 (7 x 9)
=====  ==============================  ==========================

All convs are 3x3 stride 1 followed by ReLU, every stage but the first
pads by 1, and each stage ends with a 2x2 stride-2 floor-mode max pool
(index ``i`` is the stage's last conv map, before its pool; the pool of
stage ``i`` feeds stage ``i + 1``). Eigen & Fergus run conv1_1 and conv1_2
without padding (``valid_conv1=True``); torchvision pads them, which also
gives 512 x 7 x 9 at pool5 for 228 x 304 (the scale-1 fully connected layer
flattens these 32256 values), so torchvision's ImageNet weights fit either
way; the valid convs only shift the alignment by 2 pixels.
"""

from typing import Dict, Mapping, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmdepthsr.registry import MODELS

from .torchvision_compat import (
    convert_torchvision_state_dict,
    load_torchvision_file,
    meta_state_dict_shapes,
    state_dict_shapes,
)

__all__ = ['VGG16', 'vgg16_from_torchvision']

#: Output channels of the five stages of VGG configuration D.
VGG16_WIDTHS = (64, 128, 256, 512, 512)
#: Output strides of indices 0-5 (conv1_2 .. conv5_3, pool5); with
#: ``valid_conv1=True`` the maps are 4 pixels smaller before the halvings.
VGG16_STRIDES = (1, 2, 4, 8, 16, 32)
#: Convs per stage of VGG configuration D.
VGG16_DEPTHS = (2, 2, 3, 3, 3)


def _conv_names() -> Tuple[Tuple[str, ...], ...]:
    """``(('conv1_1', 'conv1_2'), ..., ('conv5_1', 'conv5_2', 'conv5_3'))``."""
    return tuple(
        tuple(f'conv{s + 1}_{j + 1}' for j in range(depth))
        for s, depth in enumerate(VGG16_DEPTHS)
    )


def _torchvision_key_map() -> Dict[str, str]:
    """torchvision ``features.<i>`` -> ``conv<s>_<j>`` for VGG16.

    torchvision's ``features`` holds conv, ReLU pairs and one max pool per
    stage, so the convs sit at indices 0, 2, 5, 7, 10, 12, 14, 17, ..., 28.
    """
    key_map = {}
    index = 0
    for names in _conv_names():
        for name in names:
            for param in ('weight', 'bias'):
                key_map[f'features.{index}.{param}'] = f'{name}.{param}'
            index += 2
        index += 1
    return key_map


def vgg16_from_torchvision(
    state_dict: Mapping[str, torch.Tensor],
    expected_shapes: Optional[Mapping[str, Sequence[int]]] = None,
    source: str = 'torchvision VGG16 state dict',
) -> Dict[str, torch.Tensor]:
    """Map torchvision ``vgg16`` weights to :class:`VGG16` keys.

    ``features.0.weight`` becomes ``conv1_1.weight``, ``features.28.bias``
    becomes ``conv5_3.bias``, and so on. The ``classifier.*`` (fc6-fc8)
    weights are dropped: the backbone has no fully connected layers, and
    Eigen & Fergus' scale-1 fc layer has another input size (32256 instead
    of 25088) and is trained from scratch.

    Args:
        state_dict (Mapping[str, Tensor]): torchvision ``vgg16`` state dict
            (``vgg16-397923af.pth``), or a dict holding it under
            ``'state_dict'``.
        expected_shapes (Mapping[str, Sequence[int]], optional): Shapes the
            result must have, under our keys. Defaults to the VGG16 shapes
            for 3 input channels.
        source (str): Name of the weights in error messages.

    Returns:
        dict[str, Tensor]: The 26 conv tensors under ``conv<s>_<j>`` keys.

    Raises:
        ValueError: Listing missing / unexpected keys and shape mismatches.
    """
    return convert_torchvision_state_dict(
        state_dict,
        _torchvision_key_map(),
        expected_shapes or meta_state_dict_shapes(VGG16),
        source=source,
    )


@MODELS.register_module()
class VGG16(BaseModule):
    """The 13 conv layers of VGG16 (configuration D), no fc layers.

    Args:
        in_channels (int): Image channels. Defaults to 3.
        valid_conv1 (bool): Run conv1_1 and conv1_2 without padding, as
            Eigen & Fergus (2015) do. Defaults to False (padding 1, as
            torchvision and the VGG paper).
        out_indices (Sequence[int]): Outputs to return, 0-4 = the last conv
            map of stages 1-5 (after ReLU, before the pool), 5 = pool5 (the
            input of Eigen & Fergus' scale-1 fc layer). Defaults to ``(4,)``.
        frozen_stages (int): Stages ``0 .. frozen_stages`` get
            ``requires_grad=False``; -1 freezes nothing. Defaults to -1.
        torchvision_checkpoint (str, optional): Local torchvision ``vgg16``
            ``.pth`` file, read with ``torch.load(weights_only=True)``,
            renamed by :func:`vgg16_from_torchvision` and loaded by
            :meth:`init_weights` (the Runner calls it). Cannot be combined
            with ``init_cfg``. Defaults to None.
        init_cfg (dict | list[dict], optional): Initialisation config for
            checkpoints in this package's own key format. Defaults to None
            (PyTorch's default init).
    """

    def __init__(
        self,
        in_channels: int = 3,
        valid_conv1: bool = False,
        out_indices: Sequence[int] = (4,),
        frozen_stages: int = -1,
        torchvision_checkpoint: Optional[str] = None,
        init_cfg: Optional[Dict] = None,
    ):
        super().__init__(init_cfg=init_cfg)
        if not out_indices or any(i not in range(6) for i in out_indices):
            raise ValueError(
                'VGG16: `out_indices` must be a non-empty subset of 0..5 '
                f'(conv1_2 .. conv5_3, pool5), got {tuple(out_indices)}.'
            )
        if frozen_stages not in range(-1, 5):
            raise ValueError(
                'VGG16: `frozen_stages` must be in -1..4, got '
                f'{frozen_stages}.'
            )
        if torchvision_checkpoint is not None and init_cfg is not None:
            raise ValueError(
                'VGG16: give either `torchvision_checkpoint` or `init_cfg`, '
                'not both (init_weights would overwrite one with the other).'
            )
        self.in_channels = in_channels
        self.valid_conv1 = valid_conv1
        self.out_indices = tuple(sorted(set(out_indices)))
        self.frozen_stages = frozen_stages
        self.torchvision_checkpoint = torchvision_checkpoint
        self.stage_names = _conv_names()
        cin = in_channels
        for stage, (names, width) in enumerate(
            zip(self.stage_names, VGG16_WIDTHS)
        ):
            padding = 0 if stage == 0 and valid_conv1 else 1
            for name in names:
                self.add_module(
                    name, nn.Conv2d(cin, width, 3, padding=padding)
                )
                cin = width
        self._freeze_stages()

    @property
    def out_channels(self) -> Tuple[int, ...]:
        """Channels of the returned outputs."""
        return tuple(VGG16_WIDTHS[min(i, 4)] for i in self.out_indices)

    @property
    def out_strides(self) -> Tuple[int, ...]:
        """Strides of the returned outputs (exact for padded convs and
        sizes divisible by the stride)."""
        return tuple(VGG16_STRIDES[i] for i in self.out_indices)

    def _freeze_stages(self) -> None:
        for names in self.stage_names[: self.frozen_stages + 1]:
            for name in names:
                for param in getattr(self, name).parameters():
                    param.requires_grad = False

    def load_torchvision_state_dict(
        self,
        state_dict: Mapping[str, torch.Tensor],
        source: str = 'torchvision VGG16 state dict',
    ) -> None:
        """Copy torchvision ``vgg16`` weights into this backbone.

        Args:
            state_dict (Mapping[str, Tensor]): torchvision-format weights.
            source (str): Name of the weights in error messages.

        Raises:
            ValueError: Listing missing / unexpected keys and shape
                mismatches against this backbone (e.g. ``in_channels``).
        """
        weights = vgg16_from_torchvision(
            state_dict, state_dict_shapes(self), source
        )
        self.load_state_dict(weights, strict=True)

    def init_weights(self) -> None:
        """Load ``torchvision_checkpoint`` if given, else ``init_cfg``."""
        if self.torchvision_checkpoint is None:
            super().init_weights()
            return
        self.load_torchvision_state_dict(
            load_torchvision_file(self.torchvision_checkpoint),
            source=self.torchvision_checkpoint,
        )

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Extract features.

        Args:
            x (Tensor): ``(N, C, H, W)`` images (Eigen & Fergus: 0-255 RGB
                minus the VGG mean, no std).

        Returns:
            tuple[Tensor]: The outputs in ``out_indices``, e.g.
            ``((N, 512, 14, 19),)`` by default for a 228 x 304 input.
            Stages after the last requested one are not run.
        """
        outs = []
        for stage, names in enumerate(self.stage_names):
            if stage > 0:
                x = F.max_pool2d(x, 2, 2)
            for name in names:
                x = F.relu(getattr(self, name)(x), inplace=True)
            if stage in self.out_indices:
                outs.append(x)
            if stage == self.out_indices[-1]:
                # later stages are not needed
                return tuple(outs)
        if 5 in self.out_indices:
            outs.append(F.max_pool2d(x, 2, 2))
        return tuple(outs)
