"""SequentialNeck: channel filling, out_indices over every step's maps,
values and errors."""

import pytest
import torch
from torch import nn

from mmdepthsr.models.necks import SequentialNeck
from mmdepthsr.registry import MODELS


@MODELS.register_module(name='_ScaleNeck', force=True)
class _ScaleNeck(nn.Module):
    """Multiplies every map by ``factor``; widths unchanged."""

    def __init__(self, in_channels, factor=2.0):
        super().__init__()
        self.in_channels = tuple(in_channels)
        self.out_channels = tuple(in_channels)
        self.weight = nn.Parameter(torch.tensor(factor))

    def forward(self, inputs):
        return tuple(self.weight * x for x in inputs)


@MODELS.register_module(name='_SumDecoder', force=True)
class _SumDecoder(nn.Module):
    """Decoder interface: ``[conv1x1(first map)]``, ``channels`` only."""

    def __init__(self, in_channels, channels=3):
        super().__init__()
        self.conv = nn.Conv2d(in_channels[0], channels, 1)
        self.channels = (channels,)

    def forward(self, inputs):
        return [self.conv(inputs[0])]


def test_runs_steps_in_order_and_returns_chosen_maps():
    neck = SequentialNeck(
        in_channels=(4, 6),
        necks=[
            dict(type='_ScaleNeck', factor=2.0),
            dict(type='_ScaleNeck', factor=3.0),
            dict(type='_SumDecoder'),
        ],
        out_indices=(0, 3, -1),
    )
    assert neck.necks[1].in_channels == (4, 6)
    assert neck.necks[2].conv.in_channels == 4
    assert neck.out_channels == (4, 6, 3)
    a, b = torch.randn(1, 4, 5, 5), torch.randn(1, 6, 3, 3)
    out = neck((a, b))
    torch.testing.assert_close(out[0], 2 * a)
    torch.testing.assert_close(out[1], 6 * b)
    torch.testing.assert_close(out[2], neck.necks[2].conv(6 * a))
    # default: the last step's maps
    last = SequentialNeck((4, 6), [dict(type='_ScaleNeck')])
    assert last.out_channels == (4, 6) and last.out_indices == (0, 1)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match='must index the 2 maps'):
        SequentialNeck((4, 6), [dict(type='_ScaleNeck')], out_indices=(2,))
    with pytest.raises(ValueError, match='one or more'):
        SequentialNeck((4,), [])
