"""Scale 1 of the Eigen & Fergus (2015) network: the fully connected head.

Paper: D. Eigen, R. Fergus, "Predicting Depth, Surface Normals and Semantic
Labels with a Common Multi-Scale Convolutional Architecture", ICCV 2015,
section 3 (scale 1). Layer details follow the authors' Theano release
(``models/iccv15``). Shapes for a 3 x 228 x 304 input (VGG16 backbone; the
AlexNet one flattens 256 x 6 x 8 = 12288 values instead of 32256):

==========  ===============================================  ==============
layer       op                                               output
==========  ===============================================  ==============
scale       pool5 features x 0.01, flatten                   32256
full1       fc -> 4096; ReLU; dropout 0.5                    4096
full2       fc -> 17024; ReLU; reshape                       64 x 14 x 19
upsample    fixed bilinear x4 (7x7 triangular transposed     64 x 59 x 79
            conv, stride 4)
crop        rows 2..56, cols 2..75                           64 x 55 x 74
==========  ===============================================  ==============

The map joins the first conv of scale 2 in
:class:`~mmdepthsr.models.decoders.EigenMultiScaleDecoder`.
"""

from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmdepthsr.registry import MODELS

from ..utils.init_cfg import InitCfg, copy_init_cfg

__all__ = ['EigenScale1Head', 'SCALE1_INIT', 'bilinear_upsample_kernel']

#: The release's initialisation of the scale-1 fully connected layers.
SCALE1_INIT = (
    dict(type='Normal', std=0.01, bias=0.0, override=dict(name='full1')),
    dict(type='Normal', std=0.001, bias=0.0, override=dict(name='full2')),
)


def bilinear_upsample_kernel(factor: int) -> torch.Tensor:
    """The ``(2 f - 1) x (2 f - 1)`` triangular kernel of a stride-``f``
    transposed convolution that interpolates linearly between inputs.

    Args:
        factor (int): Upsampling factor ``f``.

    Returns:
        Tensor: ``(2 f - 1, 2 f - 1)`` kernel with peak 1 at the centre.
    """
    pos = torch.arange(2 * factor - 1, dtype=torch.float32)
    tri = 1 - (pos - (factor - 1)).abs() / factor
    return tri[:, None] * tri[None, :]


@MODELS.register_module()
class EigenScale1Head(BaseModule):
    """Fully connected scale-1 head: pool5 features to a 64-channel map.

    The features are scaled by ``feature_scale``, flattened, passed through
    full1 (ReLU, dropout) and full2 (ReLU), reshaped to ``out_channels x
    fc_size``, upsampled by a fixed bilinear transposed convolution and
    cropped to ``out_size`` starting at ``crop_offset``.

    Args:
        in_channels (int): Channels of the features. Defaults to 512
            (VGG16; AlexNet: 256).
        in_size (tuple[int, int]): Their (H, W). Defaults to (7, 9) (VGG16
            on 228 x 304; AlexNet: (6, 8)).
        hidden_channels (int): Width of full1. Defaults to 4096.
        out_channels (int): Channels of the map. Defaults to 64.
        fc_size (tuple[int, int]): (H, W) of the map that full2 predicts.
            Defaults to (14, 19).
        upsample_factor (int): Stride of the fixed transposed conv.
            Defaults to 4.
        crop_offset (tuple[int, int]): (top, left) of the crop. Defaults to
            (2, 2).
        out_size (tuple[int, int]): (H, W) after the crop. Defaults to
            (55, 74).
        feature_scale (float): Factor on the features. Defaults to 0.01.
        dropout (float): Dropout after full1. Defaults to 0.5.
        init_cfg (dict | list[dict], optional): Defaults to the release's:
            full1 ~ N(0, 0.01^2), full2 ~ N(0, 0.001^2), biases 0.
    """

    def __init__(
        self,
        in_channels: int = 512,
        in_size: Sequence[int] = (7, 9),
        hidden_channels: int = 4096,
        out_channels: int = 64,
        fc_size: Sequence[int] = (14, 19),
        upsample_factor: int = 4,
        crop_offset: Sequence[int] = (2, 2),
        out_size: Sequence[int] = (55, 74),
        feature_scale: float = 0.01,
        dropout: float = 0.5,
        init_cfg: InitCfg = SCALE1_INIT,
    ):
        super().__init__(init_cfg=copy_init_cfg(init_cfg))
        self.in_shape = (int(in_channels), *(int(s) for s in in_size))
        self.out_channels = int(out_channels)
        self.fc_size = tuple(int(s) for s in fc_size)
        self.upsample_factor = int(upsample_factor)
        self.crop_offset = tuple(int(s) for s in crop_offset)
        self.out_size = tuple(int(s) for s in out_size)
        self.feature_scale = feature_scale
        f = self.upsample_factor
        for full, off, out in zip(self.fc_size, self.crop_offset, out_size):
            if off < 0 or off + out > (full - 1) * f + 2 * f - 1:
                raise ValueError(
                    f'EigenScale1Head: a {out_size} crop at {crop_offset} '
                    f'does not fit in the x{f} upsampled {self.fc_size} map.'
                )
        c, h, w = self.in_shape
        self.full1 = nn.Linear(c * h * w, hidden_channels)
        self.full2 = nn.Linear(
            hidden_channels,
            self.out_channels * self.fc_size[0] * self.fc_size[1],
        )
        self.relu = nn.ReLU(inplace=True)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer(
            'upsample_kernel', bilinear_upsample_kernel(f), persistent=False
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map features to the scale-2 grid.

        Args:
            x (Tensor): ``(N, in_channels, *in_size)`` features.

        Returns:
            Tensor: ``(N, out_channels, *out_size)``.
        """
        if tuple(x.shape[1:]) != self.in_shape:
            raise ValueError(
                f'EigenScale1Head expects features of shape {self.in_shape} '
                f'(C, H, W), got {tuple(x.shape[1:])}: the fully connected '
                'layers fix the input size (228 x 304 gives 512 x 7 x 9 for '
                'VGG16, 256 x 6 x 8 for AlexNet); set `in_channels` / '
                '`in_size` or resize the input.'
            )
        x = torch.flatten(x * self.feature_scale, 1)
        x = self.dropout(self.relu(self.full1(x)))
        x = self.relu(self.full2(x)).view(-1, self.out_channels, *self.fc_size)
        kernel = self.upsample_kernel.to(x.dtype).expand(
            self.out_channels, 1, *self.upsample_kernel.shape
        )
        x = F.conv_transpose2d(
            x, kernel, stride=self.upsample_factor, groups=self.out_channels
        )
        top, left = self.crop_offset
        return x[
            ..., top : top + self.out_size[0], left : left + self.out_size[1]
        ]
