"""Task-specific stacks of the Eigen & Fergus (2015) three-scale network.

Paper: D. Eigen, R. Fergus, "Predicting Depth, Surface Normals and Semantic
Labels with a Common Multi-Scale Convolutional Architecture", ICCV 2015,
section 3 (model) and 3.1-3.3 (tasks). Layer details follow the authors'
Theano release (``models/iccv15``).

Each task owns the layers after the shared first conv of scales 2 and 3
(``C`` output channels: 1 for depth, 3 for normals, the class count for
semantics; shapes for a 228 x 304 input):

==============  ==========================================  =============
layer           op                                          output
==============  ==========================================  =============
conv_s2_2       conv 5x5 pad 2, 160 -> 64; ReLU             64 x 55 x 74
conv_s2_3       conv 5x5 pad 2, 64 -> 64; ReLU              64 x 55 x 74
conv_s2_4       conv 5x5 pad 2, 64 -> 64; ReLU              64 x 55 x 74
conv_s2_5       conv 5x5 pad 2, 64 -> C; linear             C x 55 x 74
conv_s3_2       conv 5x5 pad 2, 64 -> 64; ReLU              64 x 109 x 147
conv_s3_3       conv 5x5 pad 2, 64 -> 64; ReLU              64 x 109 x 147
conv_s3_4       conv 5x5 pad 2, 64 -> C; linear             C x 109 x 147
==============  ==========================================  =============

The release's "transpose" flag on the last convs is a weight layout only:
they are stride-1 same-size convolutions, not upsampling layers.

* Depth regresses ``ln(depth) / 0.45723134`` (as Eigen 2014); scale 2 adds a
  learned per-pixel bias map (``depths_bias`` in the release, not in the
  paper), optional here because it fixes the input size.
* Normals are L2-normalised per pixel, ``n / sqrt(|n|^2 + 1e-4)``, after
  both scales.
* Semantics output ``C`` class logits.
"""

from typing import List, Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmdepthsr.registry import MODELS

from ..utils.init_cfg import InitCfg, copy_init_cfg

__all__ = [
    'EigenTaskHead',
    'EigenDepthHead',
    'EigenNormalHead',
    'EigenSemSegHead',
    'EIGEN_TASK_HEAD_INIT',
]

#: The release's initialisation of the task stacks: every conv
#: N(0, 0.01^2), biases 0 (the depth bias map starts at 0).
EIGEN_TASK_HEAD_INIT = (
    dict(type='Normal', std=0.01, bias=0.0, layer='Conv2d'),
)


class EigenTaskHead(BaseModule):
    """The scale-2 and scale-3 conv stacks of one task.

    Args:
        out_channels (int): Channels ``C`` of the prediction.
        s2_in_channels (int): Channels of the scale-2 concat (scale-1
            features + pooled conv_s2_1). Defaults to 160 (64 + 96).
        s3_in_channels (int): Channels of the scale-3 concat. Defaults to 64.
        channels (int): Width of the hidden convs. Defaults to 64.
        kernel_size (int): Kernel of every conv (same padding). Defaults
            to 5.
        init_cfg (dict | list[dict], optional): Defaults to the release's
            N(0, 0.01^2) weights and zero biases.
    """

    def __init__(
        self,
        out_channels: int,
        s2_in_channels: int = 160,
        s3_in_channels: int = 64,
        channels: int = 64,
        kernel_size: int = 5,
        init_cfg: InitCfg = EIGEN_TASK_HEAD_INIT,
    ):
        super().__init__(init_cfg=copy_init_cfg(init_cfg))
        if out_channels < 1:
            raise ValueError(
                f'{type(self).__name__}: `out_channels` must be positive, '
                f'got {out_channels}.'
            )
        self.out_channels = int(out_channels)
        pad = kernel_size // 2

        def conv(cin, cout):
            return nn.Conv2d(cin, cout, kernel_size, padding=pad)

        self.conv_s2_2 = conv(s2_in_channels, channels)
        self.conv_s2_3 = conv(channels, channels)
        self.conv_s2_4 = conv(channels, channels)
        self.conv_s2_5 = conv(channels, self.out_channels)
        self.conv_s3_2 = conv(s3_in_channels, channels)
        self.conv_s3_3 = conv(channels, channels)
        self.conv_s3_4 = conv(channels, self.out_channels)
        self.relu = nn.ReLU(inplace=True)

    def scale_parameters(self, scale: int) -> List[nn.Parameter]:
        """The parameters of the layers of scale 2 or 3."""
        if scale not in (2, 3):
            raise ValueError(
                f'{type(self).__name__}: `scale` must be 2 or 3, got {scale}.'
            )
        return [
            p
            for name, p in self.named_parameters()
            if name.startswith(f'conv_s{scale}_')
            or (scale == 2 and name == 'prior_bias')
        ]

    def finish(self, x: torch.Tensor, scale: int) -> torch.Tensor:
        """Map the last linear conv's output to the prediction."""
        return x

    def forward_scale2(self, x: torch.Tensor) -> torch.Tensor:
        """Scale-2 prediction.

        Args:
            x (Tensor): ``(N, s2_in_channels, h, w)`` concat (55 x 74).

        Returns:
            Tensor: ``(N, C, h, w)``.
        """
        x = self.relu(self.conv_s2_2(x))
        x = self.relu(self.conv_s2_3(x))
        x = self.relu(self.conv_s2_4(x))
        return self.finish(self.conv_s2_5(x), 2)

    def forward_scale3(self, x: torch.Tensor) -> torch.Tensor:
        """Scale-3 prediction.

        Args:
            x (Tensor): ``(N, s3_in_channels, h, w)`` concat (109 x 147).

        Returns:
            Tensor: ``(N, C, h, w)``.
        """
        x = self.relu(self.conv_s3_2(x))
        x = self.relu(self.conv_s3_3(x))
        return self.finish(self.conv_s3_4(x), 3)


@MODELS.register_module()
class EigenDepthHead(EigenTaskHead):
    """Depth stacks: one channel of ``ln(depth) / log_depth_scale``.

    Args:
        use_prior_bias (bool): Add the release's learned per-pixel bias map
            (``depths_bias``, zero-initialised) to the scale-2 output. It
            ties the model to the ``prior_size`` grid. Defaults to True.
        prior_size (tuple[int, int]): (H, W) of the scale-2 output. Defaults
            to (55, 74) (228 x 304 input).
        **kwargs: :class:`EigenTaskHead` arguments but ``out_channels``.
    """

    def __init__(
        self,
        use_prior_bias: bool = True,
        prior_size: Sequence[int] = (55, 74),
        **kwargs,
    ):
        super().__init__(out_channels=1, **kwargs)
        self.prior_size = tuple(int(s) for s in prior_size)
        self.prior_bias = (
            nn.Parameter(torch.zeros(1, 1, *self.prior_size))
            if use_prior_bias
            else None
        )

    def finish(self, x: torch.Tensor, scale: int) -> torch.Tensor:
        """Add the bias map at scale 2."""
        if scale != 2 or self.prior_bias is None:
            return x
        if tuple(x.shape[-2:]) != self.prior_size:
            raise ValueError(
                f'EigenDepthHead: the per-pixel bias map is '
                f'{self.prior_size} (H, W) but the scale-2 output is '
                f'{tuple(x.shape[-2:])}; set `prior_size` or '
                '`use_prior_bias=False`.'
            )
        return x + self.prior_bias


@MODELS.register_module()
class EigenNormalHead(EigenTaskHead):
    """Surface-normal stacks: three channels, L2-normalised per pixel.

    Args:
        eps (float): ``n / sqrt(|n|^2 + eps)``. Defaults to 1e-4 (release).
        **kwargs: :class:`EigenTaskHead` arguments but ``out_channels``.
    """

    def __init__(self, eps: float = 1e-4, **kwargs):
        super().__init__(out_channels=3, **kwargs)
        self.eps = eps

    def finish(self, x: torch.Tensor, scale: int) -> torch.Tensor:
        """Normalise to (almost) unit length, differentiably."""
        return x * torch.rsqrt((x**2).sum(1, keepdim=True) + self.eps)


@MODELS.register_module()
class EigenSemSegHead(EigenTaskHead):
    """Semantic stacks: ``num_classes`` logits.

    Args:
        num_classes (int): Number of classes (NYU: 4, 13 or 40).
        **kwargs: :class:`EigenTaskHead` arguments but ``out_channels``.
    """

    def __init__(self, num_classes: int, **kwargs):
        super().__init__(out_channels=num_classes, **kwargs)
        self.num_classes = int(num_classes)
