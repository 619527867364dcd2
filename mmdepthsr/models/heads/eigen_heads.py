"""Coarse (fully connected) and fine (convolutional) heads of Eigen 2014.

Paper: D. Eigen, C. Puhrsch, R. Fergus, "Depth Map Prediction from a Single
Image using a Multi-Scale Deep Network", NIPS 2014, section 3.1 (coarse6-7
and fine1-3). Layer tables, initialisation and shapes follow the authors'
Theano release.

Coarse head (NYU, on the ``256 x 6 x 8`` conv5 features of a 228 x 304
input):

=======  ======================================  =========
layer    op                                      output
=======  ======================================  =========
scale    features x 0.01, flatten                12288
fc6      fc 12288 -> 4096; ReLU; dropout 0.5      4096
fc7      fc 4096 -> 4070, linear; reshape         1 x 55 x 74
=======  ======================================  =========

KITTI (172 x 576 input): 256 x 4 x 17 = 17408 -> 4096 -> 3834 = 1 x 27 x 142.

Fine head (NYU, on the 228 x 304 image):

=======  ======================================  =============
layer    op                                      output
=======  ======================================  =============
fine1    conv 9x9/2, 64, pad 1; ReLU             64 x 111 x 149
pool     max 3x3/2 (floor)                       64 x 55 x 74
concat   channel 0 replaced by the coarse map    64 x 55 x 74
fine2    conv 5x5, 64, pad 2; ReLU               64 x 55 x 74
fine3    conv 5x5, 64 -> 1, pad 2; linear        1 x 55 x 74
=======  ======================================  =============

Both heads regress the normalised log depth ``log(depth) / 0.45723134``; their
last layer is linear.
"""

from typing import Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmdepthsr.registry import MODELS

from ..utils.init_cfg import InitCfg, copy_init_cfg

#: Image statistics of the release's fine stack (NYU, 0-255 RGB, one scalar
#: for all channels); the 2015 release normalises its scales-2/3 image
#: path with the same values.
EIGEN_FINE_MEAN = 109.314
EIGEN_FINE_STD = 76.183
#: The release's initialisation of the coarse head (biases 0).
COARSE_HEAD_INIT = (
    dict(type='Normal', std=0.01, bias=0.0, override=dict(name='fc6')),
    dict(
        type='Uniform', a=-0.005, b=0.005, bias=0.0, override=dict(name='fc7')
    ),
)
#: The release's initialisation of the fine head (biases 0).
FINE_HEAD_INIT = (
    dict(type='Normal', std=0.001, bias=0.0, override=dict(name='fine1')),
    dict(type='Normal', std=0.01, bias=0.0, override=dict(name='fine2')),
    dict(type='Normal', std=0.01, bias=0.0, override=dict(name='fine3')),
)


@MODELS.register_module()
class EigenCoarseHead(BaseModule):
    """Global fully connected head of the coarse network (coarse6-7).

    The conv5 features are multiplied by ``feature_scale`` (the release's
    0.01: "pretrained features are large"), flattened, mapped to
    ``hidden_channels`` (ReLU, dropout) and then linearly to one value per
    output pixel.

    Dropout is PyTorch's inverted dropout (x2 at training, identity at test),
    equivalent in expectation to the release's "mean network" (x0.5 at test).

    Args:
        in_channels (int): Channels of the feature map. Defaults to 256.
        in_size (tuple[int, int]): Its (H, W), fixed by the input size:
            (6, 8) for 228 x 304 (NYU), (4, 17) for 172 x 576 (KITTI).
        out_size (tuple[int, int]): (H, W) of the predicted map: (55, 74)
            for NYU, (27, 142) for KITTI.
        hidden_channels (int): Width of fc6. Defaults to 4096.
        feature_scale (float): Factor applied to the features before fc6.
            Defaults to 0.01.
        dropout (float): Dropout probability after fc6. Defaults to 0.5.
        init_cfg (dict | list[dict], optional): Defaults to the release's
            init: fc6 ~ N(0, 0.01^2), fc7 ~ U(-0.005, 0.005), biases 0.
    """

    def __init__(
        self,
        in_channels: int = 256,
        in_size: Sequence[int] = (6, 8),
        out_size: Sequence[int] = (55, 74),
        hidden_channels: int = 4096,
        feature_scale: float = 0.01,
        dropout: float = 0.5,
        init_cfg: InitCfg = COARSE_HEAD_INIT,
    ):
        super().__init__(init_cfg=copy_init_cfg(init_cfg))
        self.in_shape = (in_channels, *(int(s) for s in in_size))
        self.out_size = tuple(int(s) for s in out_size)
        self.feature_scale = feature_scale
        in_features = self.in_shape[0] * self.in_shape[1] * self.in_shape[2]
        self.fc6 = nn.Linear(in_features, hidden_channels)
        self.relu = nn.ReLU(inplace=True)
        self.dropout = nn.Dropout(dropout)
        self.fc7 = nn.Linear(
            hidden_channels, self.out_size[0] * self.out_size[1]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Predict the coarse map.

        Args:
            x (Tensor): ``(N, C, H, W)`` features, ``(C, H, W)`` equal to
                ``(in_channels, *in_size)``.

        Returns:
            Tensor: ``(N, 1, *out_size)`` normalised log depth.
        """
        if tuple(x.shape[1:]) != self.in_shape:
            raise ValueError(
                f'EigenCoarseHead expects features of shape {self.in_shape} '
                f'(C, H, W), got {tuple(x.shape[1:])}: the fully connected '
                'layers fix the network input size (228 x 304 -> 256 x 6 x 8,'
                ' 172 x 576 -> 256 x 4 x 17); resize or crop the input, or '
                'set `in_size`.'
            )
        x = torch.flatten(x * self.feature_scale, 1)
        x = self.dropout(self.relu(self.fc6(x)))
        return self.fc7(x).view(-1, 1, *self.out_size)


@MODELS.register_module()
class EigenFineHead(BaseModule):
    """Fine network of Eigen 2014 (fine1-3), refining the coarse prediction.

    The image goes through fine1 (conv 9x9/2, ReLU) and a 3x3/2 max pool to
    the coarse output's grid; the first ``out_channels`` feature maps are
    discarded and the coarse prediction takes their place (the paper's "63
    feature maps + coarse output" is the release's 64 filters with the first
    one dropped), then fine2 (conv 5x5, ReLU) and fine3 (conv 5x5, linear).

    Args:
        in_channels (int): Image channels. Defaults to 3.
        channels (int): Filters of fine1 and fine2. Defaults to 64.
        out_channels (int): Channels of the prediction (and of the coarse
            input replacing the first feature maps). Defaults to 1.
        fine1_padding (int): Padding of the 9x9 stride-2 fine1. Defaults to 1
            (cuda-convnet rule, 228 x 304 -> 111 x 149; also 1 for KITTI's
            116-row crop).
        init_cfg (dict | list[dict], optional): Defaults to the release's
            init: fine1 ~ N(0, 0.001^2), fine2 and fine3 ~ N(0, 0.01^2),
            biases 0.
    """

    def __init__(
        self,
        in_channels: int = 3,
        channels: int = 64,
        out_channels: int = 1,
        fine1_padding: int = 1,
        init_cfg: InitCfg = FINE_HEAD_INIT,
    ):
        super().__init__(init_cfg=copy_init_cfg(init_cfg))
        if not 0 < out_channels < channels:
            raise ValueError(
                'EigenFineHead: `out_channels` must be smaller than '
                f'`channels`, got {out_channels} and {channels}.'
            )
        self.out_channels = out_channels
        self.fine1 = nn.Conv2d(
            in_channels, channels, 9, stride=2, padding=fine1_padding
        )
        self.pool = nn.MaxPool2d(3, stride=2)
        self.fine2 = nn.Conv2d(channels, channels, 5, padding=2)
        self.fine3 = nn.Conv2d(channels, out_channels, 5, padding=2)
        self.relu = nn.ReLU(inplace=True)

    def output_size(self, input_size: Tuple[int, int]) -> Tuple[int, int]:
        """(H, W) of the prediction for an input of ``input_size``."""
        conv = self.fine1
        sizes = []
        for size, k, s, p in zip(
            input_size, conv.kernel_size, conv.stride, conv.padding
        ):
            size = (size + 2 * p - k) // s + 1
            sizes.append((size - 3) // 2 + 1)
        return tuple(sizes)

    def forward(self, img: torch.Tensor, coarse: torch.Tensor) -> torch.Tensor:
        """Refine a coarse prediction.

        Args:
            img (Tensor): ``(N, 3, H, W)`` image normalised for the fine
                stack (Eigen: ``(x - 109.314) / 76.183``).
            coarse (Tensor): ``(N, out_channels, h, w)`` coarse prediction on
                the grid of the pooled fine1 features (55 x 74 for 228 x 304).

        Returns:
            Tensor: ``(N, out_channels, h, w)`` refined prediction.
        """
        x = self.pool(self.relu(self.fine1(img)))
        if coarse.shape[0] != x.shape[0] or coarse.shape[1:] != (
            self.out_channels,
            *x.shape[2:],
        ):
            raise ValueError(
                'EigenFineHead: the coarse prediction must have shape '
                f'(N, {self.out_channels}, {x.shape[2]}, {x.shape[3]}) to '
                f'match the pooled fine1 features of the '
                f'{tuple(img.shape[2:])} image, got {tuple(coarse.shape)}.'
            )
        x = torch.cat([coarse, x[:, self.out_channels :]], dim=1)
        x = self.relu(self.fine2(x))
        return self.fine3(x)
