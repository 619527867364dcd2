"""A chain of necks (or one-stage decoders) run one after the other.

Some models refine the backbone maps in several shared steps before the
task branches, e.g. DeepLabv3+'s ASPP followed by its decoder, whose output
SOSD-Net shares between its tasks as the "common representation". Each step
is a registered module; :class:`SequentialNeck` feeds each step the maps of
the previous one and returns the maps of the steps listed in
``out_indices`` (counted over the concatenation of every step's maps), so
that later modules may read intermediate maps as well.
"""

from typing import List, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule, ModuleList
from torch import nn

from mmdepthsr.registry import MODELS

__all__ = ['SequentialNeck']


def _widths(module: nn.Module, index: int) -> Tuple[int, ...]:
    """``out_channels`` of a neck, or ``channels`` of a decoder."""
    widths = getattr(module, 'out_channels', None)
    if widths is None:
        widths = getattr(module, 'channels', None)
    if widths is None:
        raise ValueError(
            f'SequentialNeck: necks[{index}] ({type(module).__name__}) must '
            'declare `out_channels` (or `channels`), one entry per map.'
        )
    if isinstance(widths, int):
        widths = (widths,)
    return tuple(int(c) for c in widths)


@MODELS.register_module()
class SequentialNeck(BaseModule):
    """Run necks in sequence; return chosen maps of any of them.

    Data flow for necks ``[ASPP, DeepLabV3PlusDecoder]`` on a backbone's
    ``(low_level, top)``: ``ASPP -> (low_level, aspp)``, the decoder ->
    ``[common]``; all maps ``(low_level, aspp, common)``, indices 0, 1, 2.

    Args:
        in_channels (Sequence[int]): Channels of the input maps (filled in
            by the estimator); the first neck's ``in_channels`` when its
            config has none.
        necks (Sequence[dict]): Configs (``MODELS``) of the steps; each
            step's ``in_channels`` defaults to the previous step's widths
            (``out_channels``, else ``channels``). Each step maps a
            sequence of maps to a sequence of maps.
        out_indices (Sequence[int], optional): Which maps to return, indices
            into the concatenation of every step's outputs (negative ones
            count from its end). None (default) returns the last step's
            maps.
        init_cfg (dict, optional): Initialisation config.

    Attributes:
        out_channels (tuple[int]): Width of each returned map.
    """

    def __init__(
        self,
        in_channels: Sequence[int],
        necks: Sequence[dict],
        out_indices: Optional[Sequence[int]] = None,
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(init_cfg=init_cfg)
        if not necks:
            raise ValueError('SequentialNeck: `necks` must list one or more.')
        self.in_channels = tuple(int(c) for c in in_channels)
        self.necks = ModuleList()
        widths, all_widths = self.in_channels, []
        for i, cfg in enumerate(necks):
            cfg = dict(cfg)
            cfg.setdefault('in_channels', widths)
            self.necks.append(MODELS.build(cfg))
            widths = _widths(self.necks[-1], i)
            all_widths.extend(widths)
        if out_indices is None:
            num_all = len(all_widths)
            out_indices = range(num_all - len(widths), num_all)
        self.out_indices = tuple(int(i) for i in out_indices)
        for i in self.out_indices:
            if not -len(all_widths) <= i < len(all_widths):
                raise ValueError(
                    f'SequentialNeck: out_indices {self.out_indices} must '
                    f'index the {len(all_widths)} maps of the steps '
                    f'(widths {tuple(all_widths)}).'
                )
        self.out_channels = tuple(all_widths[i] for i in self.out_indices)

    def forward(
        self, inputs: Sequence[torch.Tensor]
    ) -> Tuple[torch.Tensor, ...]:
        """Run the steps.

        Args:
            inputs (Sequence[Tensor]): Maps ``(N, in_channels[i], h_i,
                w_i)``.

        Returns:
            tuple[Tensor]: The maps at ``out_indices``.
        """
        maps: List[torch.Tensor] = []
        feats = tuple(inputs)
        for neck in self.necks:
            feats = tuple(neck(feats))
            maps.extend(feats)
        return tuple(maps[i] for i in self.out_indices)
