"""Small CNNs that embed a 1-channel depth map (CLIFFNet HEGs).

CLIFFNet (Wang, Zhang, Wang, Lu, Ruan, ECCV 2020; scott89/CLIFFNet)
compares a predicted and a ground-truth depth map in the feature spaces of
a frozen "hierarchical embedding generator" (HEG): a CNN whose input is a
depth map. The released loss uses a small scene network
(:class:`SceneNetEncoder`); an earlier variant used a 1-channel VGG-16
truncated after ``conv3_3`` (:class:`DepthVGGEncoder`).

Both encoders take depth in metres, ``(N, 1, H, W)``, and feed
``depth / depth_scale`` to the first convolution (``depth_scale=1``, the
default, feeds metres as the CLIFFNet release does). Like every backbone
of this package they return a tuple of maps, described by the tuples
``out_channels`` and ``out_strides``; ``out_names`` names the maps after
the layers (``'relu1_2'``, ``'relu2_2'``, ...), in network order, so that
the last map is the deepest one and losses can pick layers by name.
"""

from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmdepthsr.registry import MODELS


def _check_depth(name: str, depth: torch.Tensor, in_channels: int) -> None:
    if depth.dim() != 4 or depth.shape[1] != in_channels:
        raise ValueError(
            f'{name}: expected a depth map of shape (N, {in_channels}, H, '
            f'W), got {tuple(depth.shape)}.'
        )


@MODELS.register_module()
class SceneNetEncoder(BaseModule):
    """The HEG "SceneNet" of CLIFFNet: a tiny depth-map CNN.

    Layer table (every conv 3x3, padding 1, no bias, followed by BN and
    LeakyReLU(``negative_slope``)):

    ======== =========== ====== ===========
    name     channels    stride output name
    ======== =========== ====== ===========
    conv1_1  1 -> 16     1      relu1_1
    conv1_2  16 -> 16    1      relu1_2
    conv2_1  16 -> 32    2      relu2_1
    conv2_2  32 -> 32    1      relu2_2
    conv3_1  32 -> 64    2      relu3_1  (only with ``num_stages=3``)
    conv3_2  64 -> 64    1      relu3_2  (only with ``num_stages=3``)
    ======== =========== ====== ===========

    The third stage is commented out in the CLIFFNet release, hence
    ``num_stages=2`` by default. Whether the released convs carry a bias is
    not known (they are followed by BN, which makes a bias redundant):
    ``conv_bias=False`` by default. The stride of the third stage is not
    known either (2 by default, like the second).

    Args:
        in_channels (int): Input channels. Defaults to 1 (depth).
        channels (Sequence[int]): Widths of the stages. Defaults to
            (16, 32, 64).
        num_stages (int): 2 or 3. Defaults to 2.
        negative_slope (float): LeakyReLU slope. Defaults to 0.01.
        conv_bias (bool): Bias in the convs. Defaults to False.
        depth_scale (float): The input is divided by it. Defaults to 1.0
            (metres).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(
        self,
        in_channels: int = 1,
        channels: Sequence[int] = (16, 32, 64),
        num_stages: int = 2,
        negative_slope: float = 0.01,
        conv_bias: bool = False,
        depth_scale: float = 1.0,
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(init_cfg=init_cfg)
        if num_stages not in (1, 2, 3) or len(channels) < num_stages:
            raise ValueError(
                'SceneNetEncoder: num_stages must be 1, 2 or 3 and channels '
                f'must have that many entries, got num_stages={num_stages}, '
                f'channels={tuple(channels)}.'
            )
        if depth_scale <= 0:
            raise ValueError(
                f'SceneNetEncoder: depth_scale must be > 0, got {depth_scale}.'
            )
        self.in_channels = in_channels
        self.depth_scale = float(depth_scale)
        self.layers = nn.ModuleDict()
        names: List[str] = []
        channels_out: List[int] = []
        strides: List[int] = []
        prev, stride = in_channels, 1
        for stage in range(num_stages):
            width = int(channels[stage])
            for block in (1, 2):
                step = 2 if stage > 0 and block == 1 else 1
                stride *= step
                self.layers[f'conv{stage + 1}_{block}'] = nn.Sequential(
                    nn.Conv2d(prev, width, 3, step, 1, bias=conv_bias),
                    nn.BatchNorm2d(width),
                    nn.LeakyReLU(negative_slope),
                )
                names.append(f'relu{stage + 1}_{block}')
                channels_out.append(width)
                strides.append(stride)
                prev = width
        self.out_names: Tuple[str, ...] = tuple(names)
        self.out_channels: Tuple[int, ...] = tuple(channels_out)
        self.out_strides: Tuple[int, ...] = tuple(strides)

    def forward(self, depth: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Embed a depth map.

        Args:
            depth (Tensor): ``(N, in_channels, H, W)`` depth (metres).

        Returns:
            tuple[Tensor]: ``relu1_1``, ``relu1_2``, ``relu2_1``,
            ``relu2_2`` (, ``relu3_1``, ``relu3_2``), see ``out_names``;
            map ``i`` is ``(N, out_channels[i], ceil(H / out_strides[i]),
            ceil(W / out_strides[i]))``.
        """
        _check_depth(type(self).__name__, depth, self.in_channels)
        x = depth / self.depth_scale
        outs = []
        for layer in self.layers.values():
            x = layer(x)
            outs.append(x)
        return tuple(outs)


@MODELS.register_module()
class DepthVGGEncoder(BaseModule):
    """VGG-16 on a 1-channel depth map, truncated after ``conv3_3``.

    Channels ``64, 64, M, 128, 128, M, 256, 256, 256`` (3x3 convs with bias,
    padding 1, ReLU, 2x2 max pooling at ``M``; no BN), the earlier HEG of
    CLIFFNet. Outputs ``relu1_1`` .. ``relu3_3`` (strides 1, 2, 4).

    Args:
        in_channels (int): Input channels. Defaults to 1 (depth).
        depth_scale (float): The input is divided by it. Defaults to 1.0
            (metres); the scaling of the original HEG is not known.
        init_cfg (dict, optional): Initialisation config.
    """

    ARCH = ((64, 64), (128, 128), (256, 256, 256))

    def __init__(
        self,
        in_channels: int = 1,
        depth_scale: float = 1.0,
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(init_cfg=init_cfg)
        if depth_scale <= 0:
            raise ValueError(
                f'DepthVGGEncoder: depth_scale must be > 0, got {depth_scale}.'
            )
        self.in_channels = in_channels
        self.depth_scale = float(depth_scale)
        self.layers = nn.ModuleDict()
        names: List[str] = []
        channels_out: List[int] = []
        strides: List[int] = []
        prev = in_channels
        for stage, widths in enumerate(self.ARCH):
            for block, width in enumerate(widths):
                self.layers[f'conv{stage + 1}_{block + 1}'] = nn.Sequential(
                    nn.Conv2d(prev, width, 3, 1, 1),
                    nn.ReLU(inplace=False),
                )
                names.append(f'relu{stage + 1}_{block + 1}')
                channels_out.append(width)
                strides.append(2**stage)
                prev = width
        self.out_names: Tuple[str, ...] = tuple(names)
        self.out_channels: Tuple[int, ...] = tuple(channels_out)
        self.out_strides: Tuple[int, ...] = tuple(strides)
        self.pool = nn.MaxPool2d(2, 2)

    def forward(self, depth: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Embed a depth map.

        Args:
            depth (Tensor): ``(N, in_channels, H, W)`` depth (metres).

        Returns:
            tuple[Tensor]: ``relu1_1`` .. ``relu3_3``, see ``out_names``;
            map ``i`` is ``(N, out_channels[i], floor(H / out_strides[i]),
            floor(W / out_strides[i]))``.
        """
        _check_depth(type(self).__name__, depth, self.in_channels)
        x = depth / self.depth_scale
        outs = []
        for name, layer in self.layers.items():
            if name.endswith('_1') and name != 'conv1_1':
                x = self.pool(x)
            x = layer(x)
            outs.append(x)
        return tuple(outs)


__all__ = ['SceneNetEncoder', 'DepthVGGEncoder']
