"""A progressive (coarse-to-fine) decoder with features at every
resolution.

The decoder of the joint monocular depth estimation + depth
super-resolution models (:class:`~mmdepthsr.models.estimators.
JointDepthSR`), fed by the four maps of
:class:`~mmdepthsr.models.backbones.LightConvEncoder`. Scales are named by
their denominator: ``s16`` is 1/16 of the input size, ``s1`` the input
size.

The decoder starts from the 1/16 features and doubles the resolution four
times (1/16 -> 1/8 -> 1/4 -> 1/2 -> 1). At 1/8, 1/4 and 1/2 the upsampled
features are concatenated with the encoder features of that scale (U-Net
skip); the full-resolution stage has no skip. The decoder returns the
features of every stage, and a task head predicts from each of them, so a
loss can be applied at every resolution (deep supervision, as the iterative
residual learning of Song et al., CVPR 2020). The stages can be run one by one
(:meth:`ProgressiveDecoder.forward_stage`), so that a caller can refine the
features between stages (task interaction units).
"""

from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn

from mmdepthsr.registry import MODELS

from ..layers import ConvBNReLU
from ..utils.arg_checks import check_map_channels, check_positive_ints

#: Denominators of the decoder stages, coarse to fine.
DECODER_SCALES = (16, 8, 4, 2, 1)


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
        self.in_channels = check_positive_ints(
            name, 'in_channels', in_channels, 4
        )
        self.channels = check_positive_ints(name, 'channels', channels, 5)
        self.align_corners = align_corners
        # skip input of stage k (k = 0..3): the encoder map at stride
        # 16, 8, 4, 2; stage 4 has none
        skips = tuple(reversed(self.in_channels)) + (0,)
        stages, prev = [], 0
        for width, skip in zip(self.channels, skips):
            stages.append(
                nn.Sequential(
                    ConvBNReLU(prev + skip, width, norm=norm),
                    ConvBNReLU(width, width, norm=norm),
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
        check_map_channels(
            name,
            inputs,
            self.in_channels,
            what='input maps (strides 2, 4, 8, 16)',
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
    'ProgressiveDecoder',
]
