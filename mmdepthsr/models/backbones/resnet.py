"""Bottleneck ResNet (ResNet-50/101/152) with two stride placements.

Paper: K. He, X. Zhang, S. Ren, J. Sun, "Deep Residual Learning for Image
Recognition", CVPR 2016. CLIFFNet (Wang et al., ECCV 2020, official code
scott89/CLIFFNet) uses ResNet-50 in the original Caffe/MSRA form, as
Detectron does: the stride 2 of a stage sits on the first 1x1 convolution
of its first bottleneck (``style='caffe'``). torchvision
(``torchvision/models/resnet.py``) puts it on the 3x3 convolution
(``style='pytorch'``, "ResNet v1.5").

Both styles have exactly the same parameters (same names and shapes), so a
torchvision checkpoint loads into either. Loaded into ``style='caffe'`` the
weights run with the stride moved to the 1x1 conv: every feature map keeps
its size, but the 3x3 filters then see a 2x subsampled grid they were not
trained on, so the features differ from torchvision's and the ImageNet
accuracy drops; fine-tuning adapts them. Use ``style='pytorch'`` to run
torchvision weights as trained; the Caffe weights of the MSRA release are
not available in this package.

Layer names follow torchvision (``conv1``, ``bn1``, ``layer1`` ..
``layer4``, ``layerX.Y.conv1`` .. ``conv3``, ``bn1`` .. ``bn3``,
``downsample.0`` / ``downsample.1``), so :func:`resnet50_from_torchvision`
only checks the keys and shapes and drops the classifier ``fc.*``.

Outputs for a ``3 x 224 x 224`` input (``out_indices=(0, 1, 2, 3)``):

=====  =====  ======  ==================
index  stage  stride  C x H x W
=====  =====  ======  ==================
0      res2   4       256 x 56 x 56
1      res3   8       512 x 28 x 28
2      res4   16      1024 x 14 x 14
3      res5   32      2048 x 7 x 7
=====  =====  ======  ==================

ResNet-50 without ``fc`` has 23,508,032 parameters (BN running statistics
are buffers, not counted).
"""

from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmdepthsr.registry import MODELS

from ..utils import FrozenStagesMixin
from .torchvision_compat import (
    convert_torchvision_state_dict,
    drop_num_batches_tracked,
    load_torchvision_file,
    meta_state_dict_shapes,
    state_dict_shapes,
)

__all__ = ['Bottleneck', 'ResNet', 'ResNet50', 'resnet50_from_torchvision']

#: Bottlenecks per stage for each supported depth.
RESNET_ARCH = {
    50: (3, 4, 6, 3),
    101: (3, 4, 23, 3),
    152: (3, 8, 36, 3),
}
#: Output channels of res2 .. res5 (4x the bottleneck width).
RESNET_OUT_CHANNELS = (256, 512, 1024, 2048)
#: Output strides of res2 .. res5.
RESNET_OUT_STRIDES = (4, 8, 16, 32)
#: Bottleneck width of res2 .. res5.
RESNET_WIDTHS = (64, 128, 256, 512)
_STYLES = ('caffe', 'pytorch')


class Bottleneck(nn.Module):
    """1x1 -> 3x3 -> 1x1 residual block with BN, expansion 4.

    Args:
        in_channels (int): Input channels.
        width (int): Channels of the 1x1 and 3x3 inner convs; the output
            has ``4 * width``.
        stride (int): Stride of the block (1 or 2).
        style (str): ``'caffe'`` puts the stride on ``conv1`` (1x1),
            ``'pytorch'`` on ``conv2`` (3x3).
        downsample (bool): Project the shortcut with a strided 1x1 conv +
            BN (the first block of each stage).
    """

    expansion = 4

    def __init__(
        self,
        in_channels: int,
        width: int,
        stride: int = 1,
        style: str = 'pytorch',
        downsample: bool = False,
    ):
        super().__init__()
        out_channels = width * self.expansion
        stride1, stride2 = (stride, 1) if style == 'caffe' else (1, stride)
        self.conv1 = nn.Conv2d(
            in_channels, width, 1, stride=stride1, bias=False
        )
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(
            width, width, 3, stride=stride2, padding=1, bias=False
        )
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if downsample:
            self.downsample = nn.Sequential(
                nn.Conv2d(
                    in_channels, out_channels, 1, stride=stride, bias=False
                ),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the block.

        Args:
            x (Tensor): ``(N, in_channels, H, W)``.

        Returns:
            Tensor: ``(N, 4 * width, H / stride, W / stride)``.
        """
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


def resnet50_from_torchvision(
    state_dict: Mapping[str, torch.Tensor],
    expected_shapes: Optional[Mapping[str, Sequence[int]]] = None,
    source: str = 'torchvision ResNet-50 state dict',
    depth: int = 50,
) -> Dict[str, torch.Tensor]:
    """Map torchvision ``resnet50`` weights to :class:`ResNet` keys.

    The layer names are the same as torchvision's (``conv1.weight``,
    ``bn1.running_mean``, ``layer1.0.conv1.weight``,
    ``layer1.0.downsample.0.weight``, ...), so the map is the identity; the
    function checks that every key is present with the right shape, drops
    the classifier ``fc.*`` and the BN ``num_batches_tracked`` counters.
    The weights are the same for ``style='caffe'`` and ``'pytorch'`` (see
    the module docstring for what changes).

    Args:
        state_dict (Mapping[str, Tensor]): torchvision ``resnet50`` state
            dict (e.g. ``resnet50-0676ba61.pth``), or a dict holding it under
            ``'state_dict'``.
        expected_shapes (Mapping[str, Sequence[int]], optional): Shapes the
            result must have. Defaults to ResNet-``depth`` shapes for 3
            input channels.
        source (str): Name of the weights in error messages.
        depth (int): 50, 101 or 152 (the same layout). Defaults to 50.

    Returns:
        dict[str, Tensor]: The tensors under :class:`ResNet` keys (ResNet-50:
        265 = 53 conv weights + 53 BN layers x 4 tensors).

    Raises:
        ValueError: Listing missing / unexpected keys and shape mismatches.
    """
    if depth not in RESNET_ARCH:
        raise ValueError(
            f'resnet50_from_torchvision: `depth` must be one of '
            f'{sorted(RESNET_ARCH)}, got {depth}.'
        )
    shapes = expected_shapes or meta_state_dict_shapes(ResNet, depth=depth)
    shapes = {
        k: v
        for k, v in shapes.items()
        if not k.endswith('num_batches_tracked')
    }
    return convert_torchvision_state_dict(
        drop_num_batches_tracked(state_dict),
        {key: key for key in shapes},
        shapes,
        ignored_prefixes=('fc.',),
        source=source,
    )


@MODELS.register_module()
class ResNet(FrozenStagesMixin, BaseModule):
    """Bottleneck ResNet returning res2 .. res5 features.

    Args:
        depth (int): 50, 101 or 152. Defaults to 50.
        in_channels (int): Image channels. Defaults to 3.
        style (str): ``'caffe'`` (stride on the first 1x1 conv of a stage,
            MSRA/Detectron, used by CLIFFNet) or ``'pytorch'`` (stride on
            the 3x3 conv, torchvision). Defaults to ``'pytorch'``.
        out_indices (Sequence[int]): Stages to return, 0..3 = res2..res5
            (strides 4, 8, 16, 32; 256, 512, 1024, 2048 channels).
            Defaults to (0, 1, 2, 3).
        frozen_stages (int): -1 freezes nothing, 0 the stem (conv1 + bn1),
            ``i`` the stem and res2 .. res(i+1); frozen parts get
            ``requires_grad=False`` and stay in eval mode (their BN
            statistics do not move). Defaults to -1 (CLIFFNet trains
            everything).
        norm_eval (bool): Keep every BN layer in eval mode during training
            (running statistics fixed; affine parameters still trained
            unless frozen). Defaults to False (CLIFFNet trains BN).
        torchvision_checkpoint (str, optional): Local torchvision ResNet
            ``.pth`` file, renamed/checked by
            :func:`resnet50_from_torchvision` and loaded by
            :meth:`init_weights`. Cannot be combined with ``init_cfg``.
            Defaults to None.
        init_cfg (dict | list[dict], optional): Initialisation config for
            checkpoints in this package's own key format. Defaults to None
            (Kaiming-normal fan-out convs, BN weight 1 / bias 0).
    """

    def __init__(
        self,
        depth: int = 50,
        in_channels: int = 3,
        style: str = 'pytorch',
        out_indices: Sequence[int] = (0, 1, 2, 3),
        frozen_stages: int = -1,
        norm_eval: bool = False,
        torchvision_checkpoint: Optional[str] = None,
        init_cfg: Optional[Dict] = None,
    ):
        super().__init__(init_cfg=init_cfg)
        name = type(self).__name__
        if depth not in RESNET_ARCH:
            raise ValueError(
                f'{name}: `depth` must be one of {sorted(RESNET_ARCH)}, '
                f'got {depth}.'
            )
        if style not in _STYLES:
            raise ValueError(
                f'{name}: `style` must be "caffe" or "pytorch", got "{style}".'
            )
        if not out_indices or any(i not in range(4) for i in out_indices):
            raise ValueError(
                f'{name}: `out_indices` must be a non-empty subset of 0..3 '
                f'(res2 .. res5), got {tuple(out_indices)}.'
            )
        if frozen_stages not in range(-1, 5):
            raise ValueError(
                f'{name}: `frozen_stages` must be in -1..4, got '
                f'{frozen_stages}.'
            )
        if torchvision_checkpoint is not None and init_cfg is not None:
            raise ValueError(
                f'{name}: give either `torchvision_checkpoint` or '
                '`init_cfg`, not both.'
            )
        self.depth = depth
        self.in_channels = in_channels
        self.style = style
        self.out_indices = tuple(sorted(set(out_indices)))
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.torchvision_checkpoint = torchvision_checkpoint

        self.conv1 = nn.Conv2d(
            in_channels, 64, 7, stride=2, padding=3, bias=False
        )
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        cin = 64
        for stage, blocks in enumerate(RESNET_ARCH[depth]):
            width = RESNET_WIDTHS[stage]
            layers: List[nn.Module] = []
            for block in range(blocks):
                stride = 2 if stage > 0 and block == 0 else 1
                layers.append(
                    Bottleneck(
                        cin,
                        width,
                        stride=stride,
                        style=style,
                        downsample=block == 0,
                    )
                )
                cin = width * Bottleneck.expansion
            self.add_module(f'layer{stage + 1}', nn.Sequential(*layers))
        self._freeze_stages()

    @property
    def out_channels(self) -> Tuple[int, ...]:
        """Channels of the returned outputs."""
        return tuple(RESNET_OUT_CHANNELS[i] for i in self.out_indices)

    @property
    def out_strides(self) -> Tuple[int, ...]:
        """Strides of the returned outputs (sizes round up at every
        stride-2 step, so they are exact for sizes divisible by 32)."""
        return tuple(RESNET_OUT_STRIDES[i] for i in self.out_indices)

    def _frozen_modules(self) -> List[nn.Module]:
        if self.frozen_stages < 0:
            return []
        modules: List[nn.Module] = [self.conv1, self.bn1]
        for stage in range(1, self.frozen_stages + 1):
            modules.append(getattr(self, f'layer{stage}'))
        return modules

    def load_torchvision_state_dict(
        self,
        state_dict: Mapping[str, torch.Tensor],
        source: str = 'torchvision ResNet state dict',
    ) -> None:
        """Copy torchvision ResNet weights into this backbone.

        Args:
            state_dict (Mapping[str, Tensor]): torchvision-format weights.
            source (str): Name of the weights in error messages.

        Raises:
            ValueError: Listing missing / unexpected keys and shape
                mismatches against this backbone (depth, ``in_channels``).
        """
        weights = resnet50_from_torchvision(
            state_dict, state_dict_shapes(self), source, depth=self.depth
        )
        missing, unexpected = self.load_state_dict(weights, strict=False)
        missing = [k for k in missing if not k.endswith('num_batches_tracked')]
        if missing or unexpected:  # pragma: no cover - checked above
            raise ValueError(
                f'{source}: could not load keys {missing + unexpected}.'
            )

    def init_weights(self) -> None:
        """Load ``torchvision_checkpoint``, else ``init_cfg``, else
        Kaiming-normal (fan-out) convs and unit BN."""
        if self.torchvision_checkpoint is not None:
            self.load_torchvision_state_dict(
                load_torchvision_file(self.torchvision_checkpoint),
                source=self.torchvision_checkpoint,
            )
            return
        if self.init_cfg is not None:
            super().init_weights()
            return
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(
                    module.weight, mode='fan_out', nonlinearity='relu'
                )
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Extract features.

        Args:
            x (Tensor): ``(N, C, H, W)`` images.

        Returns:
            tuple[Tensor]: The stages in ``out_indices``; stage ``i`` has
            ``RESNET_OUT_CHANNELS[i]`` channels and stride ``2 ** (i + 2)``
            (sizes round up: ``ceil`` at each stride-2 step). Stages after
            the last requested one are not run.
        """
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f'{type(self).__name__}: expected an (N, '
                f'{self.in_channels}, H, W) input, got {tuple(x.shape)}.'
            )
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        outs = []
        for stage in range(self.out_indices[-1] + 1):
            x = getattr(self, f'layer{stage + 1}')(x)
            if stage in self.out_indices:
                outs.append(x)
        return tuple(outs)


@MODELS.register_module()
class ResNet50(ResNet):
    """:class:`ResNet` with ``depth=50`` (bottlenecks [3, 4, 6, 3]).

    Args:
        **kwargs: Every argument of :class:`ResNet` but ``depth``.
    """

    def __init__(self, **kwargs):
        if 'depth' in kwargs:
            raise ValueError('ResNet50: `depth` is fixed to 50.')
        super().__init__(depth=50, **kwargs)
