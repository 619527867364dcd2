"""AlexNet-style conv1-5 feature stack, as used by Eigen et al. (2014).

Paper: D. Eigen, C. Puhrsch, R. Fergus, "Depth Map Prediction from a Single
Image using a Multi-Scale Deep Network", NIPS 2014, section 3.1 (coarse
network, layers coarse1-5). Layer table and numbers follow the authors'
Theano release (``models/depth.conf``, ``net.py``, ``pooling.py``).

Default configuration (Krizhevsky's single-tower widths, Eigen's layer
order conv -> max-pool -> ReLU -> LRN), shapes for a ``3 x 228 x 304`` input:

=======  =====================================  ==============
stage    layers                                 output C x H x W
=======  =====================================  ==============
conv1    conv 11x11/4, 96, pad 2; pool 3/2;     96 x 27 x 37
         ReLU; LRN                              (conv: 56 x 75)
conv2    conv 5x5, 256, pad 2; pool 3/2; ReLU;  256 x 13 x 18
         LRN
conv3    conv 3x3, 384, pad 1; ReLU             384 x 13 x 18
conv4    conv 3x3, 384, pad 1; ReLU             384 x 13 x 18
conv5    conv 3x3, 256, pad 1; pool 3/2; ReLU   256 x 6 x 8
=======  =====================================  ==============

Details that matter for the sizes (all from the release):

* conv1 padding 2 reproduces cuda-convnet's strided-conv rule ("one tile past
  the end": ``ceil((ceil((H - k) / s) * s + k - H) / 2)`` per side, which is
  2 on both axes for 228 x 304 and for KITTI's 172 x 576).
* Every pool is an overlapping 3x3 stride-2 floor-mode max pool.
* LRN is cuda-convnet's ``CMRNorm``: ``y = x * (2 + 1e-4 * sum_5 x^2)^-0.75``
  over 5 neighbouring channels. PyTorch's ``LocalResponseNorm`` divides
  ``alpha`` by the window size, hence ``alpha=5e-4`` here.

Output strides are nominal: ``out_strides`` is (8, 16, 16, 16, 32), but the
unpadded 3x3 stride-2 pools drop the last partial window, so a map is
``H // stride - 1`` or ``H // stride`` high (27 x 37 instead of 28 x 38
for conv1 at 228 x 304, 6 x 8 instead of 7 x 9 for conv5).

Max-pool and ReLU commute, so torchvision's conv -> ReLU -> pool order is
the same function; only the LRN position differs. torchvision's AlexNet
(widths 64-192-384-256-256, no LRN) is ``widths=(64, 192, 384, 256, 256),
lrn=None`` (:data:`TORCHVISION_WIDTHS`); its ImageNet weights load with
``torchvision_checkpoint=...`` or :meth:`AlexNet.load_torchvision_state_dict`
(keys renamed by :func:`alexnet_from_torchvision`).
"""

from typing import Dict, Mapping, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmdepthsr.registry import MODELS

from .torchvision_compat import (
    convert_torchvision_state_dict,
    load_torchvision_file,
    meta_state_dict_shapes,
    state_dict_shapes,
)

__all__ = [
    'ALEXNET_STRIDES',
    'AlexNet',
    'EIGEN_LRN',
    'TORCHVISION_WIDTHS',
    'alexnet_from_torchvision',
]

#: Eigen 2014 / cuda-convnet LRN in PyTorch's parametrisation (see module
#: docstring): ``k + alpha / size * sum x^2 = 2 + 1e-4 * sum x^2``.
EIGEN_LRN = dict(size=5, alpha=5e-4, beta=0.75, k=2.0)

#: conv1-conv5 widths of torchvision's ``alexnet`` (pytorch/vision).
TORCHVISION_WIDTHS = (64, 192, 384, 256, 256)

#: Nominal output stride of conv1-conv5 (see the module docstring).
ALEXNET_STRIDES = (8, 16, 16, 16, 32)

#: torchvision ``features.<i>`` indices of conv1-conv5 (conv, ReLU, pool
#: modules interleaved in one ``nn.Sequential``).
_TORCHVISION_CONV_INDICES = (0, 3, 6, 8, 10)


def alexnet_from_torchvision(
    state_dict: Mapping[str, torch.Tensor],
    expected_shapes: Optional[Mapping[str, Sequence[int]]] = None,
    source: str = 'torchvision AlexNet state dict',
) -> Dict[str, torch.Tensor]:
    """Map torchvision ``alexnet`` weights to :class:`AlexNet` keys.

    ``features.{0,3,6,8,10}.{weight,bias}`` become
    ``conv{1..5}.{weight,bias}``. The ``classifier.*`` (fc6-fc8) weights are
    dropped: the backbone has no fully connected layers, and Eigen's coarse6
    / full1 layer has another input size (12288 instead of 9216).

    Args:
        state_dict (Mapping[str, Tensor]): torchvision ``alexnet`` state
            dict (``alexnet-owt-7be5be79.pth``), or a dict holding it under
            ``'state_dict'``.
        expected_shapes (Mapping[str, Sequence[int]], optional): Shapes the
            result must have, under our keys. Defaults to torchvision's
            (widths :data:`TORCHVISION_WIDTHS`, 3 input channels).
        source (str): Name of the weights in error messages.

    Returns:
        dict[str, Tensor]: The 10 conv tensors under ``conv<i>`` keys.

    Raises:
        ValueError: Listing missing / unexpected keys and shape mismatches.
    """
    key_map = {
        f'features.{index}.{param}': f'conv{i + 1}.{param}'
        for i, index in enumerate(_TORCHVISION_CONV_INDICES)
        for param in ('weight', 'bias')
    }
    return convert_torchvision_state_dict(
        state_dict,
        key_map,
        expected_shapes
        or meta_state_dict_shapes(
            AlexNet, widths=TORCHVISION_WIDTHS, lrn=None
        ),
        source=source,
    )


@MODELS.register_module()
class AlexNet(BaseModule):
    """Five AlexNet conv stages (no fully connected layers).

    Args:
        in_channels (int): Image channels. Defaults to 3.
        widths (Sequence[int]): Filters of conv1-conv5. Defaults to
            Krizhevsky's single tower ``(96, 256, 384, 384, 256)``.
        conv1_padding (int): Padding of the 11x11 stride-4 conv1. Defaults to
            2 (cuda-convnet rule, see the module docstring).
        lrn (dict, optional): ``nn.LocalResponseNorm`` arguments (``size``,
            ``alpha``, ``beta``, ``k``) applied after stages 1 and 2, or None
            for no LRN. Defaults to Eigen's CMRNorm, :data:`EIGEN_LRN`.
        out_indices (Sequence[int]): Stages (0 = conv1 ... 4 = conv5) whose
            outputs are returned. Defaults to ``(4,)``.
        torchvision_checkpoint (str, optional): Local torchvision
            ``alexnet`` ``.pth`` file, read with
            ``torch.load(weights_only=True)``, renamed by
            :func:`alexnet_from_torchvision` and loaded by
            :meth:`init_weights` (the Runner calls it). Needs
            ``widths=TORCHVISION_WIDTHS``; pair it with ``lrn=None`` for
            torchvision's function. Cannot be combined with ``init_cfg``.
            Defaults to None.
        init_cfg (dict | list[dict], optional): Initialisation config for
            checkpoints in this package's own key format, e.g.
            ``dict(type='Pretrained', checkpoint=...)``. Defaults to None
            (PyTorch's default init; the authors' ImageNet model is not
            available in PyTorch).
    """

    def __init__(
        self,
        in_channels: int = 3,
        widths: Sequence[int] = (96, 256, 384, 384, 256),
        conv1_padding: int = 2,
        lrn: Optional[Dict] = EIGEN_LRN,
        out_indices: Sequence[int] = (4,),
        torchvision_checkpoint: Optional[str] = None,
        init_cfg: Optional[Dict] = None,
    ):
        super().__init__(init_cfg=init_cfg)
        if len(widths) != 5:
            raise ValueError(
                f'AlexNet: `widths` needs 5 values (conv1-conv5), got '
                f'{tuple(widths)}.'
            )
        if not out_indices or any(i not in range(5) for i in out_indices):
            raise ValueError(
                'AlexNet: `out_indices` must be a non-empty subset of '
                f'0..4 (conv1..conv5), got {tuple(out_indices)}.'
            )
        if torchvision_checkpoint is not None and init_cfg is not None:
            raise ValueError(
                'AlexNet: give either `torchvision_checkpoint` or '
                '`init_cfg`, not both (init_weights would overwrite one with '
                'the other).'
            )
        self.torchvision_checkpoint = torchvision_checkpoint
        self.widths = tuple(int(w) for w in widths)
        self.out_indices = tuple(sorted(set(out_indices)))
        c1, c2, c3, c4, c5 = self.widths
        self.conv1 = nn.Conv2d(
            in_channels, c1, 11, stride=4, padding=conv1_padding
        )
        self.conv2 = nn.Conv2d(c1, c2, 5, padding=2)
        self.conv3 = nn.Conv2d(c2, c3, 3, padding=1)
        self.conv4 = nn.Conv2d(c3, c4, 3, padding=1)
        self.conv5 = nn.Conv2d(c4, c5, 3, padding=1)
        self.pool = nn.MaxPool2d(3, stride=2)
        self.relu = nn.ReLU(inplace=True)
        self.lrn = (
            nn.LocalResponseNorm(**lrn) if lrn is not None else nn.Identity()
        )

    @property
    def out_channels(self) -> Tuple[int, ...]:
        """Channels of the returned stages."""
        return tuple(self.widths[i] for i in self.out_indices)

    @property
    def out_strides(self) -> Tuple[int, ...]:
        """Nominal strides of the returned stages (the valid pools make a
        map up to one row and column smaller, see the module docstring)."""
        return tuple(ALEXNET_STRIDES[i] for i in self.out_indices)

    def load_torchvision_state_dict(
        self,
        state_dict: Mapping[str, torch.Tensor],
        source: str = 'torchvision AlexNet state dict',
    ) -> None:
        """Copy torchvision ``alexnet`` weights into this backbone.

        Args:
            state_dict (Mapping[str, Tensor]): torchvision-format weights.
            source (str): Name of the weights in error messages.

        Raises:
            ValueError: Listing missing / unexpected keys and shape
                mismatches against this backbone (e.g. Krizhevsky widths).
        """
        weights = alexnet_from_torchvision(
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
            x (Tensor): ``(N, 3, H, W)`` normalised images (Eigen: the
                0-255 RGB image minus 128).

        Returns:
            tuple[Tensor]: The outputs of the stages in ``out_indices``, e.g.
            ``((N, 256, 6, 8),)`` for a 228 x 304 input.
        """
        feats = []
        x = self.lrn(self.relu(self.pool(self.conv1(x))))
        feats.append(x)
        x = self.lrn(self.relu(self.pool(self.conv2(x))))
        feats.append(x)
        x = self.relu(self.conv3(x))
        feats.append(x)
        x = self.relu(self.conv4(x))
        feats.append(x)
        x = self.relu(self.pool(self.conv5(x)))
        feats.append(x)
        return tuple(feats[i] for i in self.out_indices)
