"""A light multi-scale conv encoder and a progressive (coarse-to-fine)
decoder with a prediction head at every resolution.

Both are the building blocks of the joint monocular depth estimation +
depth super-resolution models (:class:`~mmdepthsr.models.estimators.
JointDepthSR`). Scales are named by their denominator: ``s16`` is 1/16 of
the input size, ``s1`` the input size.

- :class:`LightConvEncoder`: four stages, strides 2, 4, 8, 16; each stage
  is a stride-2 3x3 conv and a 3x3 conv, each followed by BatchNorm and
  ReLU.
- :class:`ProgressiveDecoder`: starts from the 1/16 features and doubles
  the resolution four times (1/16 -> 1/8 -> 1/4 -> 1/2 -> 1). At 1/8, 1/4
  and 1/2 the upsampled features are concatenated with the encoder
  features of that scale (U-Net skip); the full-resolution stage has no
  skip. Every stage ends in a 3x3 prediction head, so a loss can be applied
  at every resolution (deep supervision, as the iterative residual
  learning of Song et al., CVPR 2020). The stages can be run one by one
  (:meth:`ProgressiveDecoder.forward_stage`), so that a caller can refine
  the features between stages (task interaction units).
"""

from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn

from mmdepthsr.registry import MODELS

#: Output strides of the encoder features / decoder inputs, fine to coarse.
ENCODER_STRIDES = (2, 4, 8, 16)
#: Denominators of the decoder stages, coarse to fine.
DECODER_SCALES = (16, 8, 4, 2, 1)


def _conv_bn_relu(
    in_channels: int, out_channels: int, stride: int = 1, norm: bool = True
) -> nn.Sequential:
    layers: List[nn.Module] = [
        nn.Conv2d(
            in_channels,
            out_channels,
            3,
            stride=stride,
            padding=1,
            bias=not norm,
        )
    ]
    if norm:
        layers.append(nn.BatchNorm2d(out_channels))
    layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


def _check_channels(name: str, arg: str, values, length: int) -> Tuple:
    values = tuple(values)
    if len(values) != length or any(
        not isinstance(v, int) or isinstance(v, bool) or v < 1 for v in values
    ):
        raise ValueError(
            f'{name}: `{arg}` must be {length} positive integers, got '
            f'{values}.'
        )
    return values


@MODELS.register_module()
class LightConvEncoder(BaseModule):
    """Four-stage conv encoder with outputs at strides 2, 4, 8 and 16.

    Stage ``i`` (``i = 0..3``): ``conv3x3(stride 2) - BN - ReLU - conv3x3 -
    BN - ReLU`` with ``channels[i]`` outputs. With the default channels
    ``(32, 64, 128, 256)`` and 3 input channels it has 1,173,216
    parameters (BN affine included).

    Args:
        in_channels (int): Input channels (3 for RGB, 1 for depth).
            Defaults to 3.
        channels (Sequence[int]): Output channels of the four stages.
            Defaults to (32, 64, 128, 256).
        norm (bool): BatchNorm after every conv (convs then have no bias).
            Defaults to True.
        init_cfg (dict, optional): Initialisation config. Defaults to None
            (PyTorch's default initialisation).

    Examples:
        >>> import torch
        >>> enc = LightConvEncoder(in_channels=1, channels=(4, 8, 8, 16))
        >>> [tuple(f.shape) for f in enc(torch.zeros(1, 1, 32, 32))]
        [(1, 4, 16, 16), (1, 8, 8, 8), (1, 8, 4, 4), (1, 16, 2, 2)]
    """

    def __init__(
        self,
        in_channels: int = 3,
        channels: Sequence[int] = (32, 64, 128, 256),
        norm: bool = True,
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(init_cfg=init_cfg)
        name = type(self).__name__
        (in_channels,) = _check_channels(name, 'in_channels', [in_channels], 1)
        self.channels = _check_channels(name, 'channels', channels, 4)
        self.in_channels = in_channels
        stages, cin = [], in_channels
        for cout in self.channels:
            stages.append(
                nn.Sequential(
                    _conv_bn_relu(cin, cout, stride=2, norm=norm),
                    _conv_bn_relu(cout, cout, norm=norm),
                )
            )
            cin = cout
        self.stages = nn.ModuleList(stages)

    @property
    def out_channels(self) -> Tuple[int, ...]:
        """Channels of the four outputs."""
        return self.channels

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Encode.

        Args:
            x (Tensor): ``(N, in_channels, H, W)``, ``H`` and ``W``
                divisible by 16.

        Returns:
            tuple[Tensor]: Four maps, ``(N, channels[i], H / 2^(i+1),
            W / 2^(i+1))``.

        Raises:
            ValueError: On a wrong channel count or a size not divisible by
                16.
        """
        name = type(self).__name__
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f'{name}: expected (N, {self.in_channels}, H, W), got '
                f'{tuple(x.shape)}.'
            )
        if x.shape[-2] % 16 or x.shape[-1] % 16:
            raise ValueError(
                f'{name}: the input size {tuple(x.shape[-2:])} must be '
                'divisible by 16 (four stride-2 stages).'
            )
        outs = []
        for stage in self.stages:
            x = stage(x)
            outs.append(x)
        return tuple(outs)


@MODELS.register_module()
class ProgressiveDecoder(BaseModule):
    """Coarse-to-fine decoder: features at 1/16, 1/8, 1/4, 1/2 and 1.

    Stage ``k`` (``k = 0..4``, scale ``DECODER_SCALES[k]`` = 16, 8, 4, 2,
    1) with width ``channels[k]``:

    - ``k = 0``: ``conv3x3-BN-ReLU`` x 2 over the 1/16 input;
    - ``k = 1..3``: bilinear x2 upsampling of the previous stage's features,
      concatenation with the 1/8, 1/4, 1/2 input (skip), ``conv3x3-BN-ReLU``
      x 2;
    - ``k = 4``: bilinear x2 upsampling, ``conv3x3-BN-ReLU`` x 2 (no skip:
      nothing is encoded at full resolution).

    The decoder returns the features of every stage; a task head
    (:class:`~mmdepthsr.models.heads.BaseDenseHead` with ``scales =
    DECODER_SCALES``) predicts from each of them (deep supervision). The
    stages can be run one by one (:meth:`forward_stage`), so that an
    estimator can refine the features of several decoders between stages
    (task interaction units).

    Args:
        in_channels (Sequence[int]): Channels of the four inputs at strides
            2, 4, 8, 16 (fine to coarse, the order encoders return them).
        channels (Sequence[int]): Widths of the five stages, coarse to fine.
            Defaults to (128, 64, 32, 16, 16).
        norm (bool): BatchNorm in the stage convs. Defaults to True.
        align_corners (bool): Of the bilinear upsampling. Defaults to False.
        init_cfg (dict, optional): Initialisation config.

    Examples:
        >>> import torch
        >>> dec = ProgressiveDecoder((4, 8, 8, 16), channels=(8, 8, 4, 4, 4))
        >>> feats = [torch.zeros(1, c, 32 // s, 32 // s)
        ...          for c, s in zip((4, 8, 8, 16), (2, 4, 8, 16))]
        >>> [tuple(f.shape[1:]) for f in dec(feats)]
        [(8, 2, 2), (8, 4, 4), (4, 8, 8), (4, 16, 16), (4, 32, 32)]
    """

    #: Denominator of each stage's size, coarse to fine.
    scales: Tuple[int, ...] = DECODER_SCALES

    def __init__(
        self,
        in_channels: Sequence[int],
        channels: Sequence[int] = (128, 64, 32, 16, 16),
        norm: bool = True,
        align_corners: bool = False,
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(init_cfg=init_cfg)
        name = type(self).__name__
        self.in_channels = _check_channels(name, 'in_channels', in_channels, 4)
        self.channels = _check_channels(name, 'channels', channels, 5)
        self.align_corners = align_corners
        # skip input of stage k (k = 0..3): the encoder map at stride
        # 16, 8, 4, 2; stage 4 has none
        skips = tuple(reversed(self.in_channels)) + (0,)
        stages, prev = [], 0
        for width, skip in zip(self.channels, skips):
            stages.append(
                nn.Sequential(
                    _conv_bn_relu(prev + skip, width, norm=norm),
                    _conv_bn_relu(width, width, norm=norm),
                )
            )
            prev = width
        self.stages = nn.ModuleList(stages)

    @property
    def num_stages(self) -> int:
        """Number of stages (5)."""
        return len(self.stages)

    def forward_stage(
        self,
        k: int,
        x: Optional[torch.Tensor],
        inputs: Sequence[torch.Tensor],
    ) -> torch.Tensor:
        """Features of stage ``k``.

        Args:
            k (int): Stage index, 0 (1/16) .. 4 (full resolution).
            x (Tensor, optional): Features of stage ``k - 1`` (None for
                ``k = 0``).
            inputs (Sequence[Tensor]): The four encoder maps, strides 2, 4,
                8, 16.

        Returns:
            Tensor: ``(N, channels[k], H / s_k, W / s_k)``.
        """
        if k == 0:
            return self.stages[0](inputs[3])
        size = tuple(2 * v for v in x.shape[-2:])
        x = F.interpolate(
            x, size=size, mode='bilinear', align_corners=self.align_corners
        )
        if k < 4:
            x = torch.cat([x, inputs[3 - k]], dim=1)
        return self.stages[k](x)

    def forward(self, inputs: Sequence[torch.Tensor]) -> List[torch.Tensor]:
        """The features of all five stages, coarse to fine.

        Args:
            inputs (Sequence[Tensor]): Four maps at strides 2, 4, 8, 16 with
                ``in_channels`` channels.

        Returns:
            list[Tensor]: ``(N, channels[k], H / s_k, W / s_k)`` for ``s_k``
            = 16, 8, 4, 2, 1 (``H``, ``W``: twice the stride-2 input's
            size).

        Raises:
            ValueError: On a wrong number of inputs or channels.
        """
        self.check_inputs(inputs)
        x, feats = None, []
        for k in range(self.num_stages):
            x = self.forward_stage(k, x, inputs)
            feats.append(x)
        return feats

    def check_inputs(self, inputs: Sequence[torch.Tensor]) -> None:
        """Check the number, channels and sizes of the encoder maps.

        Args:
            inputs (Sequence[Tensor]): The four encoder maps.

        Raises:
            ValueError: If they do not match ``in_channels`` or are not
                each half the size of the previous one.
        """
        name = type(self).__name__
        if len(inputs) != 4:
            raise ValueError(
                f'{name}: expected 4 input maps (strides 2, 4, 8, 16), got '
                f'{len(inputs)}.'
            )
        got = tuple(int(x.shape[1]) for x in inputs)
        if got != self.in_channels:
            raise ValueError(
                f'{name}: input channels {got} do not match in_channels '
                f'{self.in_channels}.'
            )
        for fine, coarse in zip(inputs[:-1], inputs[1:]):
            if tuple(fine.shape[-2:]) != tuple(
                2 * v for v in coarse.shape[-2:]
            ):
                raise ValueError(
                    f'{name}: input sizes '
                    f'{[tuple(x.shape[-2:]) for x in inputs]} must halve '
                    'from one map to the next.'
                )


__all__ = [
    'DECODER_SCALES',
    'ENCODER_STRIDES',
    'LightConvEncoder',
    'ProgressiveDecoder',
]
