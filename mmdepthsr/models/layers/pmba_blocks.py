"""Building blocks of PMBANet (Ye et al., "PMBANet: Progressive
Multi-Branch Aggregation Network for Scene Depth Super-Resolution", IEEE
TIP 29, 2020), following the released code (Sunbaoli/PMBANet_DSR,
``color-guided/base_networks.py`` and ``pmpanet_x{2,4,8,16}.py``).

Every LR <-> HR step of the network is one strided (transposed)
convolution by the full factor ``s`` with the scale-dependent kernel of
:data:`PMBA_KERNEL_TABLE`; every convolution has a bias and is followed by
a PReLU (one shared slope, initial value 0.25) unless stated otherwise.
"""

from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmdepthsr.registry import MODELS

#: ``scale_factor -> (kernel, stride, padding)`` of every up- and
#: down-projection of the release: ``H = s * h`` exactly.
PMBA_KERNEL_TABLE: Dict[int, Tuple[int, int, int]] = {
    2: (6, 2, 2),
    4: (8, 4, 2),
    8: (12, 8, 2),
    16: (20, 16, 2),
}


def pmba_projection(scale_factor: int) -> Tuple[int, int, int]:
    """``(kernel, stride, padding)`` of the projections of a scale.

    Args:
        scale_factor (int): 2, 4, 8 or 16.

    Returns:
        tuple[int, int, int]: The entry of :data:`PMBA_KERNEL_TABLE`.

    Raises:
        ValueError: For a scale the release does not define.
    """
    if scale_factor not in PMBA_KERNEL_TABLE:
        raise ValueError(
            f'PMBANet: scale_factor must be one of '
            f'{sorted(PMBA_KERNEL_TABLE)}, got {scale_factor!r}.'
        )
    return PMBA_KERNEL_TABLE[scale_factor]


def pmba_conv_prelu(
    in_channels: int,
    out_channels: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
) -> nn.Sequential:
    """``Conv2d`` (with bias) followed by a single-slope ``PReLU``.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int): Square kernel size.
        stride (int): Stride. Defaults to 1.
        padding (int): Zero padding. Defaults to 0.
        dilation (int): Dilation. Defaults to 1.

    Returns:
        nn.Sequential: ``conv``, ``act``.
    """
    return nn.Sequential(
        nn.Conv2d(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=padding,
            dilation=dilation,
        ),
        nn.PReLU(),
    )


def pmba_deconv_prelu(
    in_channels: int,
    out_channels: int,
    kernel_size: int,
    stride: int,
    padding: int,
) -> nn.Sequential:
    """``ConvTranspose2d`` (with bias) followed by a single-slope ``PReLU``.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int): Square kernel size.
        stride (int): Stride.
        padding (int): Padding.

    Returns:
        nn.Sequential: ``conv``, ``act``.
    """
    return nn.Sequential(
        nn.ConvTranspose2d(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=padding,
        ),
        nn.PReLU(),
    )


@MODELS.register_module()
class PMBAChannelAttention(nn.Module):
    """Squeeze-and-excitation channel attention in residual form, the
    fusion of an MBA block: ``y = x + x * sigmoid(fc2(relu(fc1(gap(x)))))``.

    Layers: ``Linear(C, C // reduction)`` -> ReLU ->
    ``Linear(C // reduction, C)`` -> sigmoid, both with bias (the bias of
    the release's fully connected layers is not recorded; default
    PyTorch ``Linear``).

    Args:
        channels (int): Channels ``C``.
        reduction (int): Squeeze ratio. Defaults to 16 (64 -> 4); at
            least one hidden unit is kept.
    """

    def __init__(self, channels: int, reduction: int = 16):
        super().__init__()
        if channels < 1 or reduction < 1:
            raise ValueError(
                f'PMBAChannelAttention: channels ({channels}) and reduction '
                f'({reduction}) must be positive.'
            )
        hidden = max(1, channels // reduction)
        self.fc1 = nn.Linear(channels, hidden)
        self.fc2 = nn.Linear(hidden, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the attention.

        Args:
            x (Tensor): ``(N, C, H, W)``.

        Returns:
            Tensor: ``(N, C, H, W)``.
        """
        a = x.mean(dim=(2, 3))
        a = torch.sigmoid(self.fc2(F.relu(self.fc1(a))))
        return x + x * a[:, :, None, None]


@MODELS.register_module()
class FeedForwardAttention(nn.Module):
    """The attention of an AF block on LR features.

    ``A = relu(x - U(avgpool_4x4(x)))``, ``y = x + weight * A * x``, where
    ``U`` is ``ConvTranspose2d(C, C, 8, stride 4, padding 2)`` + PReLU. The
    4 x 4 pooling does not depend on the SR scale, so the LR size must be
    divisible by ``pool_size``.

    Args:
        channels (int): Channels ``C``.
        weight (float): Weight of the attention term. Defaults to 0.1.
        pool_size (int): Pooling window and upsampling factor. Defaults to
            4 (deconvolution kernel ``2 * pool_size``, padding
            ``pool_size // 2``).
    """

    def __init__(self, channels: int, weight: float = 0.1, pool_size: int = 4):
        super().__init__()
        self.weight = weight
        self.pool_size = pool_size
        self.up = pmba_deconv_prelu(
            channels, channels, 2 * pool_size, pool_size, pool_size // 2
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the attention.

        Args:
            x (Tensor): ``(N, C, h, w)``, ``h`` and ``w`` divisible by
                ``pool_size``.

        Returns:
            Tensor: ``(N, C, h, w)``.
        """
        h, w = x.shape[-2:]
        p = self.pool_size
        if h % p or w % p:
            raise ValueError(
                f'FeedForwardAttention: the LR feature size {(h, w)} must be '
                f'divisible by {p} (PMBANet pools {p} x {p}).'
            )
        context = self.up(F.avg_pool2d(x, p))
        return x + self.weight * F.relu(x - context) * x


@MODELS.register_module()
class UpProjection(nn.Module):
    """DBPN-style up-projection (error feedback) by the factor ``s``.

    ``H0 = Deconv(x)``, ``L0 = Conv(H0)``, ``H1 = Deconv(L0 - x)``,
    ``y = H0 + H1``; each (de)convolution has the kernel of
    :data:`PMBA_KERNEL_TABLE` and a PReLU.

    Args:
        channels (int): Channels.
        scale_factor (int): 2, 4, 8 or 16.
    """

    def __init__(self, channels: int, scale_factor: int):
        super().__init__()
        k, s, p = pmba_projection(scale_factor)
        self.up1 = pmba_deconv_prelu(channels, channels, k, s, p)
        self.down = pmba_conv_prelu(channels, channels, k, s, p)
        self.up2 = pmba_deconv_prelu(channels, channels, k, s, p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Project ``(N, C, h, w)`` to ``(N, C, s h, s w)``.

        Args:
            x (Tensor): LR features.

        Returns:
            Tensor: HR features.
        """
        h0 = self.up1(x)
        l0 = self.down(h0)
        return h0 + self.up2(l0 - x)


@MODELS.register_module()
class AFBlock(nn.Module):
    """Attention-based error feed-forward / feed-back block.

    First block of a reconstruction branch (``from_hr=False``, LR input):
    ``conv1x1(in -> C)`` + PReLU -> :class:`FeedForwardAttention` ->
    :class:`UpProjection`. Later blocks (``from_hr=True``, HR input of
    ``C`` channels) start with a strided ``Conv(C -> C)`` + PReLU back to
    LR.

    Args:
        in_channels (int): Input channels.
        channels (int): Working channels ``C``.
        scale_factor (int): 2, 4, 8 or 16.
        from_hr (bool): Whether the input is HR. Defaults to False.
    """

    def __init__(
        self,
        in_channels: int,
        channels: int,
        scale_factor: int,
        from_hr: bool = False,
    ):
        super().__init__()
        k, s, p = pmba_projection(scale_factor)
        self.down = (
            pmba_conv_prelu(in_channels, in_channels, k, s, p)
            if from_hr
            else None
        )
        self.reduce = pmba_conv_prelu(in_channels, channels, 1)
        self.attention = FeedForwardAttention(channels)
        self.up = UpProjection(channels, scale_factor)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map the input to HR features.

        Args:
            x (Tensor): ``(N, in_channels, h, w)`` (``s h, s w`` when
                ``from_hr``).

        Returns:
            Tensor: ``(N, C, s h, s w)``.
        """
        if self.down is not None:
            x = self.down(x)
        return self.up(self.attention(self.reduce(x)))


@MODELS.register_module()
class MultiScaleBranch(nn.Module):
    """Multi-scale branch of an MBA block (LR in, HR out).

    Densely connected dilated 3 x 3 convolutions (the ``j``-th sees the
    input and all previous outputs, ``C`` outputs each), a 3 x 3 fusion of
    the concatenation of the input and all outputs to ``C`` channels, and
    a transposed convolution by ``s``; all with PReLU.

    Args:
        in_channels (int): Input channels.
        channels (int): Working channels ``C``.
        scale_factor (int): 2, 4, 8 or 16.
        dilations (Sequence[int]): Dilations. Defaults to (1, 2, 3, 4).
    """

    def __init__(
        self,
        in_channels: int,
        channels: int,
        scale_factor: int,
        dilations: Sequence[int] = (1, 2, 3, 4),
    ):
        super().__init__()
        k, s, p = pmba_projection(scale_factor)
        self.dilated = nn.ModuleList(
            pmba_conv_prelu(in_channels + j * channels, channels, 3, 1, d, d)
            for j, d in enumerate(dilations)
        )
        self.fuse = pmba_conv_prelu(
            in_channels + len(dilations) * channels, channels, 3, 1, 1
        )
        self.up = pmba_deconv_prelu(channels, channels, k, s, p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(N, in_channels, h, w)`` to ``(N, C, s h, s w)``.

        Args:
            x (Tensor): LR features.

        Returns:
            Tensor: HR features.
        """
        feats = [x]
        for conv in self.dilated:
            feats.append(conv(torch.cat(feats, dim=1)))
        return self.up(self.fuse(torch.cat(feats, dim=1)))


@MODELS.register_module()
class MBABlock(nn.Module):
    """One stage of PMBANet ("multi-branch aggregation" block).

    ``y = CA(MB(x) + RB(x) [+ colour])``: the multi-scale branch
    (:class:`MultiScaleBranch`), the reconstruction branch (``T``
    :class:`AFBlock`, each one from the previous one's HR output, their
    concatenation fused by ``conv3x3(T C -> C)`` + PReLU), the HR colour
    features added when given, and the residual
    :class:`PMBAChannelAttention`.

    Args:
        in_channels (int): LR input channels.
        channels (int): Working channels ``C``.
        scale_factor (int): 2, 4, 8 or 16.
        num_af_blocks (int): ``T``. Defaults to 4.
    """

    def __init__(
        self,
        in_channels: int,
        channels: int,
        scale_factor: int,
        num_af_blocks: int = 4,
    ):
        super().__init__()
        if num_af_blocks < 1:
            raise ValueError(
                f'MBABlock: num_af_blocks must be >= 1, got {num_af_blocks}.'
            )
        self.multi_scale = MultiScaleBranch(
            in_channels, channels, scale_factor
        )
        self.af_blocks = nn.ModuleList(
            AFBlock(
                in_channels if i == 0 else channels,
                channels,
                scale_factor,
                from_hr=i > 0,
            )
            for i in range(num_af_blocks)
        )
        self.af_fuse = pmba_conv_prelu(
            num_af_blocks * channels, channels, 3, 1, 1
        )
        self.attention = PMBAChannelAttention(channels)

    def forward(
        self, x: torch.Tensor, color: Optional[torch.Tensor] = None
    ) -> torch.Tensor:
        """Map LR features to HR features.

        Args:
            x (Tensor): ``(N, in_channels, h, w)``.
            color (Tensor, optional): ``(N, C, s h, s w)`` colour features
                added before the attention.

        Returns:
            Tensor: ``(N, C, s h, s w)``.
        """
        outs, y = [], x
        for block in self.af_blocks:
            y = block(y)
            outs.append(y)
        y = self.multi_scale(x) + self.af_fuse(torch.cat(outs, dim=1))
        if color is not None:
            y = y + color
        return self.attention(y)


__all__ = [
    'PMBA_KERNEL_TABLE',
    'pmba_projection',
    'pmba_conv_prelu',
    'pmba_deconv_prelu',
    'PMBAChannelAttention',
    'FeedForwardAttention',
    'UpProjection',
    'AFBlock',
    'MultiScaleBranch',
    'MBABlock',
]
