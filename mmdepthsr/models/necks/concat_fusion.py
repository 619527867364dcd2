"""Scale-by-scale fusion of two feature pyramids (colour and depth)."""

from typing import Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from torch import nn

from mmdepthsr.registry import MODELS


class ConcatConvFusion(nn.Module):
    """Concatenate two maps, then ``conv3x3 - BN - ReLU``.

    Args:
        in_channels (int): Channels of the two maps together.
        out_channels (int): Output channels.
    """

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.block = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        )

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """``(N, C_a, H, W)`` and ``(N, C_b, H, W)`` to ``(N, out, H,
        W)``."""
        return self.block(torch.cat([a, b], dim=1))


@MODELS.register_module()
class ConcatFusionNeck(BaseModule):
    """Fuse an image pyramid with a guide pyramid (the LR-depth encoder's)
    level by level: ``out_i = ReLU(BN(conv3x3(cat(x_i, guide_i))))``.

    The fusion of the joint MDE + DSR models (v2 / v3): colour features and
    features of the upsampled LR depth meet at every encoder stride.

    Args:
        in_channels (Sequence[int]): Channels of the image maps.
        guide_channels (Sequence[int]): Channels of the guide maps (same
            count).
        out_channels (Sequence[int]): Channels of the fused maps.
        init_cfg (dict, optional): Initialisation config.

    Examples:
        >>> neck = ConcatFusionNeck((4, 8), (2, 2), (4, 4))
        >>> x = (torch.zeros(1, 4, 8, 8), torch.zeros(1, 8, 4, 4))
        >>> g = (torch.zeros(1, 2, 8, 8), torch.zeros(1, 2, 4, 4))
        >>> [tuple(f.shape) for f in neck(x, g)]
        [(1, 4, 8, 8), (1, 4, 4, 4)]
    """

    def __init__(
        self,
        in_channels: Sequence[int],
        guide_channels: Sequence[int],
        out_channels: Sequence[int],
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(init_cfg=init_cfg)
        self.in_channels = tuple(int(c) for c in in_channels)
        self.guide_channels = tuple(int(c) for c in guide_channels)
        self.out_channels = tuple(int(c) for c in out_channels)
        lengths = {
            len(self.in_channels),
            len(self.guide_channels),
            len(self.out_channels),
        }
        if len(lengths) != 1 or min(self.out_channels, default=0) < 1:
            raise ValueError(
                f'{type(self).__name__}: in_channels {self.in_channels}, '
                f'guide_channels {self.guide_channels} and out_channels '
                f'{self.out_channels} must have one positive entry per level.'
            )
        self.fusions = nn.ModuleList(
            ConcatConvFusion(c + g, o)
            for c, g, o in zip(
                self.in_channels, self.guide_channels, self.out_channels
            )
        )

    def forward(
        self, feats: Sequence[torch.Tensor], guide: Sequence[torch.Tensor]
    ) -> Tuple[torch.Tensor, ...]:
        """Fused maps, one per level.

        Args:
            feats (Sequence[Tensor]): Image maps ``(N, in_channels[i], h_i,
                w_i)``.
            guide (Sequence[Tensor]): Guide maps of the same sizes.

        Returns:
            tuple[Tensor]: ``(N, out_channels[i], h_i, w_i)``.
        """
        if len(feats) != len(self.fusions) or len(guide) != len(self.fusions):
            raise ValueError(
                f'{type(self).__name__}: expected {len(self.fusions)} image '
                f'and guide maps, got {len(feats)} and {len(guide)}.'
            )
        return tuple(f(x, g) for f, x, g in zip(self.fusions, feats, guide))


__all__ = ['ConcatConvFusion', 'ConcatFusionNeck']
