"""Aligned Xception-65, the DeepLabv3+ encoder.

Papers: L.-C. Chen, Y. Zhu, G. Papandreou, F. Schroff, H. Adam,
"Encoder-Decoder with Atrous Separable Convolution for Semantic Image
Segmentation", ECCV 2018 (DeepLabv3+), Sec. 3.2 "Modified Aligned Xception";
F. Chollet, "Xception: Deep Learning with Depthwise Separable Convolutions",
CVPR 2017. Layer details follow the official TensorFlow model
(``tensorflow/models``, ``research/deeplab/core/xception.py``).

Compared with Chollet's Xception the network is deeper (16 middle blocks),
every max pool is a stride-2 separable conv (so that atrous convs can take
over any stride), and a BN follows every depthwise and every pointwise conv.

A separable conv is ``depthwise 3x3 (stride s, dilation r) -> BN ->
pointwise 1x1 -> BN``, no biases. A block stacks three of them; the stride
sits on the third. In every block but exit block 2 each separable conv is
preceded by a ReLU and has no activation inside; exit block 2 has no
preceding ReLU but a ReLU after each of its two BNs. Shortcut: ``conv`` =
1x1 conv (stride s) + BN, ``sum`` = identity, ``none`` = no shortcut.

Shapes (C x H x W) for a ``3 x 512 x 512`` input at ``output_stride=16``,
``3 x 480 x 640`` in brackets; at ``output_stride=8`` the maps from
entry_flow.2 on keep the stride-8 size (728 x 64 x 64 [60 x 80]) and the
rates double:

============  ===========================  ======  ========================
stage         composition (channels)       stride  OS16 output
============  ===========================  ======  ========================
stem          conv 3x3 32 s2 + conv 64     2       64 x 256 x 256 [240x320]
entry_flow.0  sep 128 x 3 (s2); conv       4       128 x 128 x 128
entry_flow.1  sep 256 x 3 (s2); conv       8       256 x 64 x 64
(low-level)   entry_flow.1's 2nd sep conv  4       256 x 128 x 128 [120x160]
              (after its BN, before ReLU)
entry_flow.2  sep 728 x 3 (s2); conv       16      728 x 32 x 32 [30x40]
middle_flow   16 x sep 728 x 3; sum,       16      728 x 32 x 32
              rate 1 (OS8: 2)
exit_flow.0   sep 728, 1024, 1024; conv,   16      1024 x 32 x 32
              rate 1 (OS8: 2)
exit_flow.1   sep 1536, 1536, 2048 with    16      2048 x 32 x 32 [30x40]
              ReLU inside; none, rate 2
              (OS8: 4)
============  ===========================  ======  ========================

Stride-to-dilation rule (TF ``stack_blocks_dense``): the stem takes a
factor 2; each later block keeps its nominal stride until the running
stride would pass ``output_stride``. From then on a block runs with stride
1 at the current rate, and the rate is multiplied by the block's nominal
stride afterwards. ``output_stride=32`` is the classification network
(2048 x 16 x 16 at 512 x 512). Stride-2 convs pad by 1 on each side (TF's
explicit symmetric padding), so every halving maps ``H`` to
``floor((H - 1) / 2) + 1``; the strides are exact for sizes divisible by
the output stride.

The backbone without classifier has 37,867,312 parameters (BN affine
included, running statistics are buffers). ImageNet weights exist in
PyTorch only as timm's ``xception65`` (ported from TF);
:func:`xception65_from_timm` renames them.
"""

from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule, DepthwiseSeparableConvModule
from mmengine.model import BaseModule

from mmdepthsr.registry import MODELS

from ..utils import FrozenStagesMixin, InitCfg, check_positive_ints
from .torchvision_compat import (
    convert_torchvision_state_dict,
    drop_num_batches_tracked,
    load_torchvision_file,
    meta_state_dict_shapes,
    state_dict_shapes,
)

__all__ = ['Xception65', 'XceptionBlock', 'xception65_from_timm']

#: ``(flow, in_channels, out_channels of the 3 sep convs, nominal stride,
#: shortcut, ReLU before each sep conv)`` of the 21 Xception-65 blocks;
#: shortcut is ``'conv'``, ``'sum'`` or ``'none'``.
XCEPTION65_BLOCKS = (
    ('entry_flow', 64, (128, 128, 128), 2, 'conv', True),
    ('entry_flow', 128, (256, 256, 256), 2, 'conv', True),
    ('entry_flow', 256, (728, 728, 728), 2, 'conv', True),
    *(('middle_flow', 728, (728, 728, 728), 1, 'sum', True),) * 16,
    ('exit_flow', 728, (728, 1024, 1024), 2, 'conv', True),
    ('exit_flow', 1024, (1536, 1536, 2048), 1, 'none', False),
)
#: The flows in order; ``frozen_stages = i`` freezes the stem and the
#: first ``i`` flows.
XCEPTION_FLOWS = ('entry_flow', 'middle_flow', 'exit_flow')
#: Channels of the stride-4 low-level tap and of the final map.
XCEPTION65_OUT_CHANNELS = (256, 2048)
#: Default BN: eps 1e-3 as TF and timm. TF's decay 0.9997 (momentum 3e-4)
#: averages over thousands of ImageNet steps; timm's momentum 0.1 is the
#: PyTorch habit and suits fine-tuning runs of a few thousand iterations.
XCEPTION_NORM_CFG = dict(type='BN', eps=1e-3, momentum=0.1)


def xception_strides_and_rates(
    nominal_strides: Sequence[int], output_stride: int
) -> List[Tuple[int, int]]:
    """Apply the stride-to-dilation rule of DeepLab to a stack of blocks.

    Args:
        nominal_strides (Sequence[int]): Stride of each block in the
            classification network (after a stride-2 stem).
        output_stride (int): Wanted stride of the last block relative to
            the input, a power of 2 >= 4.

    Returns:
        list[tuple[int, int]]: ``(stride, dilation)`` each block runs with.
        Once the running stride reaches ``output_stride`` every later block
        has stride 1 and the current rate; the rate is then multiplied by
        the block's nominal stride. E.g. Xception-65 at 16: entry_flow.2
        stride 2, exit_flow.0 stride 1 rate 1, exit_flow.1 rate 2.
    """
    current_stride, rate = 2, 1
    schedule = []
    for stride in nominal_strides:
        if current_stride * stride > output_stride:
            schedule.append((1, rate))
            rate *= stride
        else:
            schedule.append((stride, rate))
            current_stride *= stride
    return schedule


class XceptionBlock(nn.Module):
    """Three separable convs with a shortcut (an Xception "module").

    Args:
        in_channels (int): Input channels.
        out_channels (Sequence[int]): Output channels of the 3 separable
            convs; the block outputs ``out_channels[-1]``.
        stride (int): Stride of the third separable conv and the
            shortcut conv (1 or 2).
        dilations (Sequence[int]): Dilation of each depthwise conv.
        shortcut (str): ``'conv'`` (1x1 conv + BN), ``'sum'`` (identity,
            needs equal channels and stride 1) or ``'none'``.
        pre_activation (bool): ReLU before each separable conv and none
            inside (True), or a ReLU after each depthwise BN and pointwise
            BN (False, exit block 2).
        norm_cfg (dict): Norm layer config for all BNs.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: Sequence[int],
        stride: int = 1,
        dilations: Sequence[int] = (1, 1, 1),
        shortcut: str = 'conv',
        pre_activation: bool = True,
        norm_cfg: Dict = XCEPTION_NORM_CFG,
    ):
        super().__init__()
        if shortcut not in ('conv', 'sum', 'none'):
            raise ValueError(
                'XceptionBlock: `shortcut` must be "conv", "sum" or "none", '
                f'got "{shortcut}".'
            )
        if shortcut == 'sum' and (
            in_channels != out_channels[-1] or stride > 1
        ):
            raise ValueError(
                'XceptionBlock: an identity shortcut needs stride 1 and '
                f'equal channels, got {in_channels} -> {out_channels[-1]} at '
                f'stride {stride}.'
            )
        self.pre_activation = pre_activation
        self.shortcut_type = shortcut
        act_cfg = None if pre_activation else dict(type='ReLU')
        self.sep_convs = nn.ModuleList()
        cin = in_channels
        for i, (cout, dilation) in enumerate(zip(out_channels, dilations)):
            self.sep_convs.append(
                DepthwiseSeparableConvModule(
                    cin,
                    cout,
                    3,
                    stride=stride if i == 2 else 1,
                    padding=dilation,
                    dilation=dilation,
                    norm_cfg=norm_cfg,
                    act_cfg=act_cfg,
                )
            )
            cin = cout
        self.shortcut = None
        if shortcut == 'conv':
            self.shortcut = ConvModule(
                in_channels,
                out_channels[-1],
                1,
                stride=stride,
                norm_cfg=norm_cfg,
                act_cfg=None,
            )

    def forward_with_tap(
        self, x: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Apply the block, also returning the second separable conv's map.

        Args:
            x (Tensor): ``(N, in_channels, H, W)``.

        Returns:
            tuple[Tensor, Tensor]: The block output ``(N, out_channels[-1],
            H / stride, W / stride)`` and the output of the second separable
            conv ``(N, out_channels[1], H, W)`` (after its pointwise BN, not
            rectified: DeepLabv3+'s low-level feature in entry block 2).
        """
        out = x
        tap = x
        for i, sep_conv in enumerate(self.sep_convs):
            if self.pre_activation:
                # not in place: ``x`` feeds the shortcut, ``tap`` is returned
                out = F.relu(out)
            out = sep_conv(out)
            if i == 1:
                tap = out
        if self.shortcut is not None:
            out = out + self.shortcut(x)
        elif self.shortcut_type == 'sum':
            out = out + x
        return out, tap

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the block.

        Args:
            x (Tensor): ``(N, in_channels, H, W)``.

        Returns:
            Tensor: ``(N, out_channels[-1], H / stride, W / stride)``.
        """
        return self.forward_with_tap(x)[0]


def _timm_key_map() -> Dict[str, str]:
    """timm ``xception65`` key -> :class:`Xception65` key (BN counters and
    the classifier ``head.fc`` left out).

    timm numbers the 21 blocks ``blocks.0`` .. ``blocks.20`` and calls the
    separable convs ``stack.conv1`` .. ``conv3`` with ``conv_dw``, ``bn_dw``,
    ``conv_pw``, ``bn_pw``; here the blocks are split by flow and the
    separable convs are mmcv ``DepthwiseSeparableConvModule``.
    """
    bn_keys = ('weight', 'bias', 'running_mean', 'running_var')
    key_map = {}

    def conv_bn(timm_conv: str, timm_bn: str, ours: str) -> None:
        key_map[f'{timm_conv}.weight'] = f'{ours}.conv.weight'
        for key in bn_keys:
            key_map[f'{timm_bn}.{key}'] = f'{ours}.bn.{key}'

    for i in range(2):
        conv_bn(f'stem.{i}.conv', f'stem.{i}.bn', f'stem.{i}')
    index_in_flow = dict.fromkeys(XCEPTION_FLOWS, 0)
    for block, (flow, *_, shortcut, _) in enumerate(XCEPTION65_BLOCKS):
        ours = f'{flow}.{index_in_flow[flow]}'
        index_in_flow[flow] += 1
        timm = f'blocks.{block}'
        for j in range(3):
            sep_timm = f'{timm}.stack.conv{j + 1}'
            sep_ours = f'{ours}.sep_convs.{j}'
            conv_bn(
                f'{sep_timm}.conv_dw',
                f'{sep_timm}.bn_dw',
                f'{sep_ours}.depthwise_conv',
            )
            conv_bn(
                f'{sep_timm}.conv_pw',
                f'{sep_timm}.bn_pw',
                f'{sep_ours}.pointwise_conv',
            )
        if shortcut == 'conv':
            conv_bn(
                f'{timm}.shortcut.conv',
                f'{timm}.shortcut.bn',
                f'{ours}.shortcut',
            )
    return key_map


def xception65_from_timm(
    state_dict: Mapping[str, torch.Tensor],
    expected_shapes: Optional[Mapping[str, Sequence[int]]] = None,
    source: str = 'timm xception65 state dict',
) -> Dict[str, torch.Tensor]:
    """Map timm ``xception65`` weights to :class:`Xception65` keys.

    ``stem.0.conv.weight`` keeps its name; ``blocks.1.stack.conv2.bn_pw.bias``
    becomes ``entry_flow.1.sep_convs.1.pointwise_conv.bn.bias``,
    ``blocks.3`` .. ``blocks.18`` become ``middle_flow.0`` .. ``15``,
    ``blocks.19`` / ``20`` become ``exit_flow.0`` / ``1``, and
    ``shortcut.conv`` / ``shortcut.bn`` become ``shortcut.conv`` /
    ``shortcut.bn``. The classifier ``head.*`` and the BN
    ``num_batches_tracked`` counters are dropped. timm builds the same
    parameters for every ``output_stride``, so the weights fit all of them.

    Args:
        state_dict (Mapping[str, Tensor]): timm ``xception65`` state dict
            (``tf_xception_65-c9ae96e8.pth``), or a dict holding it under
            ``'state_dict'``.
        expected_shapes (Mapping[str, Sequence[int]], optional): Shapes the
            result must have, under our keys. Defaults to the
            :class:`Xception65` shapes for 3 input channels and BN.
        source (str): Name of the weights in error messages.

    Returns:
        dict[str, Tensor]: The tensors under :class:`Xception65` keys
        (660 = 132 conv weights + 132 BN layers x 4 tensors).

    Raises:
        ValueError: Listing missing / unexpected keys and shape mismatches.
    """
    shapes = expected_shapes or meta_state_dict_shapes(Xception65)
    return convert_torchvision_state_dict(
        drop_num_batches_tracked(state_dict),
        _timm_key_map(),
        shapes,
        ignored_prefixes=('head.',),
        source=source,
        layout='timm xception65',
    )


@MODELS.register_module()
class Xception65(FrozenStagesMixin, BaseModule):
    """Aligned Xception-65 returning the stride-4 tap and the final map.

    Args:
        in_channels (int): Image channels. Defaults to 3.
        output_stride (int): Stride of the final map: 8, 16 or 32 (later
            strides become dilations, see the module docstring). Defaults
            to 16 (DeepLabv3+ training).
        multi_grid (Sequence[int]): Multipliers of the three dilation rates
            of exit block 2, e.g. ``(1, 2, 4)``. Defaults to ``(1, 1, 1)``
            (the DeepLabv3+ Xception configs use none).
        norm_cfg (dict): Norm layer of every conv. Defaults to
            ``dict(type='BN', eps=1e-3, momentum=0.1)`` (eps of TF/timm,
            momentum of timm; TF's decay 0.9997 is ``momentum=3e-4``).
        frozen_stages (int): -1 freezes nothing, 0 the stem (two 3x3
            convs), 1 the stem and the entry flow, 2 also the middle flow,
            3 everything. Frozen parts get ``requires_grad=False`` and stay
            in eval mode. Defaults to -1.
        norm_eval (bool): Keep every BN layer in eval mode during training
            (running statistics fixed; affine parameters still trained
            unless frozen), e.g. for small batches or the OS8 fine-tuning of
            the paper. Defaults to False.
        timm_checkpoint (str, optional): Local timm ``xception65`` ``.pth``
            file, renamed/checked by :func:`xception65_from_timm` and loaded
            by :meth:`init_weights` (the Runner calls it). Cannot be
            combined with ``init_cfg``. Defaults to None.
        init_cfg (dict | list[dict], optional): Initialisation config for
            checkpoints in this package's own key format. Defaults to None
            (mmcv ``ConvModule`` init: Kaiming-normal convs, unit BN).
    """

    def __init__(
        self,
        in_channels: int = 3,
        output_stride: int = 16,
        multi_grid: Sequence[int] = (1, 1, 1),
        norm_cfg: Dict = XCEPTION_NORM_CFG,
        frozen_stages: int = -1,
        norm_eval: bool = False,
        timm_checkpoint: Optional[str] = None,
        init_cfg: InitCfg = None,
    ):
        super().__init__(init_cfg=init_cfg)
        name = type(self).__name__
        if output_stride not in (8, 16, 32):
            raise ValueError(
                f'{name}: `output_stride` must be 8, 16 or 32, got '
                f'{output_stride}.'
            )
        multi_grid = check_positive_ints(name, 'multi_grid', multi_grid, 3)
        if not isinstance(norm_cfg, dict) or 'type' not in norm_cfg:
            raise ValueError(
                f'{name}: `norm_cfg` must be a dict with a "type", e.g. '
                f"dict(type='BN'), got {norm_cfg!r}."
            )
        if frozen_stages not in range(-1, len(XCEPTION_FLOWS) + 1):
            raise ValueError(
                f'{name}: `frozen_stages` must be in -1..3 (none, stem, '
                f'entry, middle, exit flow), got {frozen_stages}.'
            )
        if timm_checkpoint is not None and init_cfg is not None:
            raise ValueError(
                f'{name}: give either `timm_checkpoint` or `init_cfg`, not '
                'both (init_weights would overwrite one with the other).'
            )
        self.in_channels = in_channels
        self.output_stride = output_stride
        self.multi_grid = multi_grid
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.timm_checkpoint = timm_checkpoint

        self.stem = nn.Sequential(
            ConvModule(
                in_channels, 32, 3, stride=2, padding=1, norm_cfg=norm_cfg
            ),
            ConvModule(32, 64, 3, padding=1, norm_cfg=norm_cfg),
        )
        schedule = xception_strides_and_rates(
            [spec[3] for spec in XCEPTION65_BLOCKS], output_stride
        )
        flows: Dict[str, List[nn.Module]] = {f: [] for f in XCEPTION_FLOWS}
        last = len(XCEPTION65_BLOCKS) - 1
        for index, (spec, (stride, rate)) in enumerate(
            zip(XCEPTION65_BLOCKS, schedule)
        ):
            flow, cin, couts, _, shortcut, pre_activation = spec
            grid = multi_grid if index == last else (1, 1, 1)
            flows[flow].append(
                XceptionBlock(
                    cin,
                    couts,
                    stride=stride,
                    dilations=tuple(rate * g for g in grid),
                    shortcut=shortcut,
                    pre_activation=pre_activation,
                    norm_cfg=norm_cfg,
                )
            )
        for flow, blocks in flows.items():
            self.add_module(flow, nn.Sequential(*blocks))
        self._freeze_stages()

    @property
    def out_channels(self) -> Tuple[int, ...]:
        """Channels of the low-level tap and the final map."""
        return XCEPTION65_OUT_CHANNELS

    @property
    def out_strides(self) -> Tuple[int, ...]:
        """Strides of the low-level tap (4) and the final map
        (``output_stride``); exact for sizes divisible by the latter."""
        return (4, self.output_stride)

    def _frozen_modules(self) -> List[nn.Module]:
        if self.frozen_stages < 0:
            return []
        flows = XCEPTION_FLOWS[: self.frozen_stages]
        return [self.stem, *(getattr(self, flow) for flow in flows)]

    def load_timm_state_dict(
        self,
        state_dict: Mapping[str, torch.Tensor],
        source: str = 'timm xception65 state dict',
    ) -> None:
        """Copy timm ``xception65`` weights into this backbone.

        Args:
            state_dict (Mapping[str, Tensor]): timm-format weights.
            source (str): Name of the weights in error messages.

        Raises:
            ValueError: Listing missing / unexpected keys and shape
                mismatches against this backbone (``in_channels``, a norm
                other than BN).
        """
        weights = xception65_from_timm(
            state_dict, state_dict_shapes(self), source
        )
        missing, unexpected = self.load_state_dict(weights, strict=False)
        missing = [k for k in missing if not k.endswith('num_batches_tracked')]
        if missing or unexpected:
            raise ValueError(
                f'{source}: could not load keys {missing + unexpected} into '
                f'{type(self).__name__}.'
            )

    def init_weights(self) -> None:
        """Load ``timm_checkpoint`` if given, else ``init_cfg`` (or the
        default init of the mmcv conv modules)."""
        if self.timm_checkpoint is None:
            super().init_weights()
            return
        self.load_timm_state_dict(
            load_torchvision_file(self.timm_checkpoint),
            source=self.timm_checkpoint,
        )

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Extract the DeepLabv3+ features.

        Args:
            x (Tensor): ``(N, C, H, W)`` images (TF weights: RGB scaled to
                [-1, 1]).

        Returns:
            tuple[Tensor, Tensor]: The low-level tap ``(N, 256, H / 4,
            W / 4)`` (entry block 2's second separable conv, before ReLU)
            and the final map ``(N, 2048, H / s, W / s)`` with ``s =
            output_stride``; sizes round up at each halving.
        """
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f'{type(self).__name__}: expected an (N, '
                f'{self.in_channels}, H, W) input, got {tuple(x.shape)}.'
            )
        x = self.entry_flow[0](self.stem(x))
        x, low_level = self.entry_flow[1].forward_with_tap(x)
        x = self.entry_flow[2](x)
        x = self.middle_flow(x)
        x = self.exit_flow(x)
        return low_level, x
