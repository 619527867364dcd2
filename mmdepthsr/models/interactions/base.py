"""Common input handling of the task-interaction units.

Every interaction unit refines the features ``x`` of one task with the
features ``guide`` of another task and shares one signature::

    Unit(channels, guide_channels, **unit_specific_kwargs)
    unit(x, guide)  # x: (N, channels, H, W), guide: (N, guide_channels, h, w)

``guide`` is resized bilinearly to ``H x W`` when its spatial size differs.
A unit may also read a third map shared by the tasks (``context``, e.g.
SOSD-Net's common representation): it then takes ``context_channels`` and
is called as ``unit(x, guide, context=...)``. The shape checks and the
resizing live here once; the units only define their layers and their
``forward``.
"""

from typing import Optional, Tuple

import torch
from torch import nn

from ..utils import resize

__all__ = ['BaseInteractionUnit']


class BaseInteractionUnit(nn.Module):
    """Base class of the interaction units: argument and input checks.

    Args:
        channels (int): Channels of the refined features ``x``.
        guide_channels (int): Channels of the guiding features ``guide``.
        align_corners (bool): ``align_corners`` of the bilinear resize of
            ``guide`` to the size of ``x``. Defaults to False.

    Raises:
        ValueError: If ``channels`` or ``guide_channels`` is not a positive
            integer.
    """

    def __init__(
        self, channels: int, guide_channels: int, align_corners: bool = False
    ) -> None:
        super().__init__()
        for name, value in (
            ('channels', channels),
            ('guide_channels', guide_channels),
        ):
            if (
                not isinstance(value, int)
                or isinstance(value, bool)
                or value < 1
            ):
                raise ValueError(
                    f'{type(self).__name__}: {name} must be a positive '
                    f'integer, got {value!r}'
                )
        self.channels = channels
        self.guide_channels = guide_channels
        self.align_corners = align_corners
        self.context_channels: Optional[int] = None

    def _check_context_channels(self, context_channels) -> None:
        """Validate and store ``context_channels`` (None: no context)."""
        if context_channels is not None and (
            not isinstance(context_channels, int)
            or isinstance(context_channels, bool)
            or context_channels < 1
        ):
            raise ValueError(
                f'{type(self).__name__}: context_channels must be None or a '
                f'positive integer, got {context_channels!r}'
            )
        self.context_channels = context_channels

    def _build_output(
        self,
        concat_channels: int,
        out_channels: Optional[int],
        kernel_size: int,
        fuse: bool,
        scale_factor: int,
    ) -> None:
        """The conv after a unit's concatenation (``self.fuse``, None with
        ``fuse=False``), ``self.out_channels`` and ``self.scale_factor``.

        Args:
            concat_channels (int): Channels of the concatenation.
            out_channels (int, optional): Width of the fuse conv; None
                means ``channels``. Must be None with ``fuse=False``.
            kernel_size (int): Kernel size of the fuse conv.
            fuse (bool): Build the fuse conv.
            scale_factor (int): Bilinear upsampling factor of the output.

        Raises:
            ValueError: If ``scale_factor < 1`` or ``out_channels`` is set
                with ``fuse=False``.
        """
        name = type(self).__name__
        if scale_factor < 1:
            raise ValueError(
                f'{name}: scale_factor must be >= 1, got {scale_factor}'
            )
        if not fuse and out_channels is not None:
            raise ValueError(
                f'{name}: out_channels is the width of the fuse conv; with '
                f'fuse=False it must be None, got {out_channels}'
            )
        self.scale_factor = scale_factor
        if not fuse:
            self.out_channels = concat_channels
            self.fuse = None
            return
        self.out_channels = (
            self.channels if out_channels is None else out_channels
        )
        self.fuse = nn.Conv2d(
            concat_channels,
            self.out_channels,
            kernel_size,
            padding=kernel_size // 2,
        )

    def _output(self, concat: torch.Tensor) -> torch.Tensor:
        """The fuse conv (if any), then the bilinear upsampling (if
        ``scale_factor > 1``) of the concatenation ``(N, C, H, W)``."""
        out = concat if self.fuse is None else self.fuse(concat)
        if self.scale_factor == 1:
            return out
        size = tuple(self.scale_factor * v for v in out.shape[-2:])
        return resize(
            out, size, mode='bilinear', align_corners=self.align_corners
        )

    def _check_context(
        self, x: torch.Tensor, context: Optional[torch.Tensor]
    ) -> Optional[torch.Tensor]:
        """Validate ``context`` and resize it to ``x``.

        Args:
            x (Tensor): Refined features, ``(N, channels, H, W)``.
            context (Tensor, optional): ``(N, context_channels, h, w)``;
                required exactly when ``context_channels`` is set.

        Returns:
            Tensor | None: ``context`` resized to ``(N, context_channels, H,
            W)``, or None.

        Raises:
            ValueError: If ``context`` is missing, unexpected, or its shape
                does not fit.
        """
        name = type(self).__name__
        if self.context_channels is None:
            if context is not None:
                raise ValueError(
                    f'{name}: got a context map but context_channels is None'
                )
            return None
        if context is None:
            raise ValueError(
                f'{name}: context_channels={self.context_channels} needs the '
                '`context` map'
            )
        if (
            context.dim() != 4
            or context.shape[1] != self.context_channels
            or context.shape[0] != x.shape[0]
        ):
            raise ValueError(
                f'{name}: context must be (N={x.shape[0]}, '
                f'{self.context_channels}, h, w), got {tuple(context.shape)}'
            )
        return resize(
            context,
            tuple(x.shape[-2:]),
            mode='bilinear',
            align_corners=self.align_corners,
        )

    def _check_inputs(
        self, x: torch.Tensor, guide: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Validate ``x`` and ``guide`` and resize ``guide`` to ``x``.

        Args:
            x (Tensor): Refined features, ``(N, channels, H, W)``.
            guide (Tensor): Guiding features, ``(N, guide_channels, h, w)``.

        Returns:
            tuple[Tensor, Tensor]: ``x`` unchanged and ``guide`` resized to
            ``(N, guide_channels, H, W)``.

        Raises:
            ValueError: If a tensor is not 4-D, a channel count differs from
                the constructor's, or the batch sizes differ.
        """
        name = type(self).__name__
        for arg, tensor in (('x', x), ('guide', guide)):
            if tensor.dim() != 4:
                raise ValueError(
                    f'{name}: {arg} must be a 4-D (N, C, H, W) tensor, got '
                    f'shape {tuple(tensor.shape)}'
                )
        if x.shape[1] != self.channels:
            raise ValueError(
                f'{name}: x has {x.shape[1]} channels, expected '
                f'channels={self.channels}'
            )
        if guide.shape[1] != self.guide_channels:
            raise ValueError(
                f'{name}: guide has {guide.shape[1]} channels, expected '
                f'guide_channels={self.guide_channels}'
            )
        if guide.shape[0] != x.shape[0]:
            raise ValueError(
                f'{name}: batch sizes differ, x has {x.shape[0]} and guide '
                f'has {guide.shape[0]}'
            )
        guide = resize(
            guide,
            tuple(x.shape[-2:]),
            mode='bilinear',
            align_corners=self.align_corners,
        )
        return x, guide
