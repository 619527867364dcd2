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

Max-pool and ReLU commute, so torchvision's conv -> ReLU -> pool order is
the same function; only the LRN position differs. torchvision's AlexNet
(widths 64-192-384-256-256, no LRN) is ``widths=(64, 192, 384, 256, 256),
lrn=None``.
"""

from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmdepthsr.registry import MODELS

#: Eigen 2014 / cuda-convnet LRN in PyTorch's parametrisation (see module
#: docstring): ``k + alpha / size * sum x^2 = 2 + 1e-4 * sum x^2``.
EIGEN_LRN = dict(size=5, alpha=5e-4, beta=0.75, k=2.0)


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
        init_cfg (dict | list[dict], optional): Initialisation config, e.g.
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
    def out_channels(self) -> int:
        """Channels of the last returned stage."""
        return self.widths[self.out_indices[-1]]

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
