"""Atrous spatial pyramid pooling (ASPP), the encoder head of DeepLabv3+.

Paper: L.-C. Chen, Y. Zhu, G. Papandreou, F. Schroff, H. Adam,
"Encoder-Decoder with Atrous Separable Convolution for Semantic Image
Segmentation", ECCV 2018, Sec. 3.1-3.2 (ASPP of DeepLabv3, Chen et al.,
arXiv 1706.05587, Sec. 3.3), as in tensorflow/models
``research/deeplab/model.py``.

On the coarsest backbone map ``(N, C, h, w)`` (output stride ``os``), five
parallel branches of ``channels`` (256) each, all ``conv - BN - ReLU``:

- image pooling: global average pool, 1x1 conv, BN, ReLU, bilinear back
  to ``(h, w)``;
- 1x1: 1x1 conv, BN, ReLU;
- three atrous branches: 3x3 conv with rates 6 / 12 / 18 at os 16 (12 /
  24 / 36 at os 8), BN, ReLU; with ``separable=True`` depthwise - BN -
  ReLU - pointwise - BN - ReLU (the Xception configs of the paper);

then concatenation (``5 * channels``), 1x1 projection to ``channels`` + BN +
ReLU and dropout 0.1. The neck passes the low-level map through unchanged
for the decoder: it returns ``(low_level, aspp_out)``.
"""

from typing import Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from torch import nn

from mmdepthsr.registry import MODELS

from ..layers import ConvBNReLU, separable_conv_bn_relu
from ..utils import resize
from ..utils.arg_checks import check_map_channels, check_positive_ints

__all__ = ['ASPP_RATES_OS16', 'ASPP']

#: Atrous rates of the three 3x3 branches at output stride 16 (paper); they
#: scale with ``16 / output_stride``.
ASPP_RATES_OS16: Tuple[int, int, int] = (6, 12, 18)


@MODELS.register_module()
class ASPP(BaseModule):
    """ASPP on the last backbone map; the low-level map passes through.

    Args:
        in_channels (Sequence[int]): Channels of the backbone's maps, fine to
            coarse (its ``out_channels``; the estimator fills it in), e.g.
            ``(256, 2048)`` for Xception-65.
        channels (int): Width of every branch and of the output. Defaults to
            256 (paper).
        output_stride (int): Stride of the last map, 8 or 16 when
            ``dilations`` is not given; the rates are ``(6, 12, 18) * 16 /
            output_stride``. Defaults to 16.
        dilations (Sequence[int], optional): Explicit atrous rates of the
            3x3 branches (any number of them); overrides ``output_stride``.
        separable (bool): Depthwise-separable atrous branches (DeepLabv3+
            with Xception). Defaults to False (dense 3x3 convs).
        dropout_ratio (float): Element-wise dropout after the projection
            during training (TensorFlow's ``keep_prob = 0.9``). Defaults to
            0.1.
        low_level_index (int): Index of the map passed through for the
            decoder; any map but the last. Defaults to 0.
        align_corners (bool): Of the image-pooling upsampling (a 1 x 1 map,
            so the choice does not change the values). Defaults to False.
        init_cfg (dict, optional): Initialisation config.

    Note:
        In training mode the image-pooling BN normalises over the batch
        only (one value per image), so training needs a batch of at least
        two images.

    Examples:
        >>> import torch
        >>> neck = ASPP((4, 8), channels=6, output_stride=8).eval()
        >>> neck.dilations, neck.out_channels
        ((12, 24, 36), (4, 6))
        >>> low, out = neck([torch.zeros(1, 4, 16, 16),
        ...                  torch.zeros(1, 8, 8, 8)])
        >>> tuple(low.shape), tuple(out.shape)
        ((1, 4, 16, 16), (1, 6, 8, 8))
    """

    def __init__(
        self,
        in_channels: Sequence[int],
        channels: int = 256,
        output_stride: int = 16,
        dilations: Optional[Sequence[int]] = None,
        separable: bool = False,
        dropout_ratio: float = 0.1,
        low_level_index: int = 0,
        align_corners: bool = False,
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(init_cfg=init_cfg)
        name = type(self).__name__
        in_channels = tuple(in_channels)
        self.in_channels = check_positive_ints(
            name, 'in_channels', in_channels, max(len(in_channels), 2)
        )
        (self.channels,) = check_positive_ints(name, 'channels', [channels], 1)
        if low_level_index not in range(len(self.in_channels) - 1):
            raise ValueError(
                f'{name}: low_level_index must index one of the maps before '
                f'the last (0..{len(self.in_channels) - 2}), got '
                f'{low_level_index!r}.'
            )
        if dilations is None:
            if output_stride not in (8, 16):
                raise ValueError(
                    f"{name}: output_stride must be 8 or 16 (the paper's "
                    f'rates), got {output_stride!r}; give explicit '
                    '`dilations` for another stride.'
                )
            factor = 16 // output_stride
            dilations = tuple(r * factor for r in ASPP_RATES_OS16)
        dilations = tuple(dilations)
        self.dilations = check_positive_ints(
            name, 'dilations', dilations, max(len(dilations), 1)
        )
        if not 0.0 <= dropout_ratio < 1.0:
            raise ValueError(
                f'{name}: dropout_ratio must lie in [0, 1), got '
                f'{dropout_ratio!r}.'
            )
        self.low_level_index = low_level_index
        self.separable = bool(separable)
        self.align_corners = align_corners
        self.out_channels = (
            self.in_channels[low_level_index],
            self.channels,
        )

        c_in, c = self.in_channels[-1], self.channels
        self.image_pool = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), ConvBNReLU(c_in, c, 1)
        )
        atrous = separable_conv_bn_relu if self.separable else ConvBNReLU
        self.branches = nn.ModuleList(
            [ConvBNReLU(c_in, c, 1)]
            + [atrous(c_in, c, 3, dilation=d) for d in self.dilations]
        )
        num_branches = len(self.branches) + 1
        self.project = ConvBNReLU(num_branches * c, c, 1)
        self.dropout = nn.Dropout(dropout_ratio)

    def forward(
        self, inputs: Sequence[torch.Tensor]
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """ASPP on the last map; the low-level map unchanged.

        Args:
            inputs (Sequence[Tensor]): ``len(in_channels)`` maps ``(N,
                in_channels[i], H_i, W_i)``, fine to coarse.

        Returns:
            tuple[Tensor, Tensor]: The low-level map ``(N,
            in_channels[low_level_index], H_l, W_l)`` (the input itself)
            and the ASPP output ``(N, channels, h, w)`` at the size of the
            last map.

        Raises:
            ValueError: On a wrong number of maps or channels.
        """
        check_map_channels(
            type(self).__name__,
            inputs,
            self.in_channels,
            what=f'maps (in_channels {self.in_channels})',
        )
        x = inputs[-1]
        pooled = resize(
            self.image_pool(x),
            x.shape[-2:],
            mode='bilinear',
            align_corners=self.align_corners,
        )
        feats = [pooled] + [branch(x) for branch in self.branches]
        out = self.dropout(self.project(torch.cat(feats, dim=1)))
        return inputs[self.low_level_index], out
