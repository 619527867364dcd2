"""The decoder of DeepLabv3+.

Paper: L.-C. Chen, Y. Zhu, G. Papandreou, F. Schroff, H. Adam,
"Encoder-Decoder with Atrous Separable Convolution for Semantic Image
Segmentation", ECCV 2018, Sec. 3.1 and Fig. 2 (``refine_by_decoder`` in
tensorflow/models ``research/deeplab/model.py``).

It reads the ``(low_level, aspp_out)`` pair of the
:class:`~mmdepthsr.models.necks.ASPP` neck. Shapes for a 256 x 512 input,
Xception-65 at output stride 16:

| step | output |
|---|---|
| low-level map (stride 4) -> 1x1 conv 48, BN, ReLU | 48 x 64 x 128 |
| ASPP output 256 x 16 x 32 -> bilinear to the low level | 256 x 64 x 128 |
| concatenation | 304 x 64 x 128 |
| 3x3 conv 256, BN, ReLU (dense or separable) | 256 x 64 x 128 |
| 3x3 conv 256, BN, ReLU (dense or separable) | 256 x 64 x 128 |

The classifier (1x1 conv to the classes) and the bilinear upsampling to the
input size belong to the task head
(:class:`~mmdepthsr.models.heads.SegHead` with ``kernel_size=1,
upsample_to_input=True``).
"""

from typing import List, Optional, Sequence

import torch
from mmengine.model import BaseModule
from torch import nn

from mmdepthsr.registry import MODELS

from ..layers import ConvBNReLU, separable_conv_bn_relu
from ..utils import resize
from ..utils.arg_checks import check_map_channels, check_positive_ints

__all__ = ['DeepLabV3PlusDecoder']


@MODELS.register_module()
class DeepLabV3PlusDecoder(BaseModule):
    """Low-level projection, upsampled ASPP features, two 3x3 convs.

    One stage in the stage-wise decoder interface of
    :class:`~mmdepthsr.models.estimators.MultiTaskEncoderDecoder`
    (``num_stages = 1``, ``channels = (channels,)``, ``scales =
    (low_level_stride,)``), so interaction units can refine its output.

    Args:
        in_channels (Sequence[int]): Channels of the low-level map and of
            the ASPP output (the neck's ``out_channels``, filled in by the
            estimator), e.g. ``(256, 256)``.
        channels (int): Width of the two 3x3 convs and of the output.
            Defaults to 256 (paper).
        low_level_channels (int): Width of the 1x1 projection of the
            low-level map. Defaults to 48 (paper).
        separable (bool): Depthwise-separable 3x3 convs (depthwise - BN -
            ReLU - pointwise - BN - ReLU, the paper's Xception models).
            Defaults to False (dense).
        low_level_stride (int): Stride of the low-level map, the output
            stride of the decoder. Defaults to 4 (paper).
        align_corners (bool): Of the bilinear upsampling. Defaults to False
            (TensorFlow's ``align_corners=True`` needs ``k * os + 1``
            inputs).
        init_cfg (dict, optional): Initialisation config.

    Examples:
        >>> import torch
        >>> dec = DeepLabV3PlusDecoder((4, 6), channels=8).eval()
        >>> out = dec((torch.zeros(1, 4, 16, 32), torch.zeros(1, 6, 4, 8)))
        >>> [tuple(f.shape) for f in out]
        [(1, 8, 16, 32)]
    """

    #: The decoder runs in one stage.
    num_stages: int = 1

    def __init__(
        self,
        in_channels: Sequence[int],
        channels: int = 256,
        low_level_channels: int = 48,
        separable: bool = False,
        low_level_stride: int = 4,
        align_corners: bool = False,
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(init_cfg=init_cfg)
        name = type(self).__name__
        self.in_channels = check_positive_ints(
            name, 'in_channels', in_channels, 2
        )
        widths = check_positive_ints(
            name,
            'channels, low_level_channels and low_level_stride',
            (channels, low_level_channels, low_level_stride),
            3,
        )
        self.channels = (widths[0],)
        self.scales = (widths[2],)
        self.low_level_channels = widths[1]
        self.separable = bool(separable)
        self.align_corners = align_corners
        self.low_level_proj = ConvBNReLU(
            self.in_channels[0], self.low_level_channels, 1
        )
        conv = separable_conv_bn_relu if self.separable else ConvBNReLU
        fused = self.low_level_channels + self.in_channels[1]
        self.fuse = nn.Sequential(
            conv(fused, widths[0], 3), conv(widths[0], widths[0], 3)
        )

    def forward_stage(
        self,
        k: int,
        x: Optional[torch.Tensor],
        inputs: Sequence[torch.Tensor],
    ) -> torch.Tensor:
        """The decoder features (the only stage).

        Args:
            k (int): Stage index, 0.
            x (Tensor, optional): Ignored (no earlier stage); None.
            inputs (Sequence[Tensor]): ``(low_level, aspp_out)``, ``(N,
                in_channels[0], H_l, W_l)`` and ``(N, in_channels[1], h,
                w)``.

        Returns:
            Tensor: ``(N, channels, H_l, W_l)``.

        Raises:
            ValueError: On a stage other than 0 or inputs that do not fit.
        """
        name = type(self).__name__
        if k != 0:
            raise ValueError(f'{name}: has one stage (0), got stage {k}.')
        check_map_channels(
            name,
            inputs,
            self.in_channels,
            what='maps (low_level, aspp_out) of the ASPP neck',
        )
        low, top = inputs
        top = resize(
            top,
            low.shape[-2:],
            mode='bilinear',
            align_corners=self.align_corners,
        )
        fused = torch.cat([self.low_level_proj(low), top], dim=1)
        return self.fuse(fused)

    def forward(self, inputs: Sequence[torch.Tensor]) -> List[torch.Tensor]:
        """The decoder features as a one-entry list (one head input).

        Args:
            inputs (Sequence[Tensor]): ``(low_level, aspp_out)``.

        Returns:
            list[Tensor]: ``[(N, channels, H_l, W_l)]``.
        """
        return [self.forward_stage(0, None, inputs)]
