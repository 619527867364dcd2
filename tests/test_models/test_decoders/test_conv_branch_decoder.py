"""ConvBranchDecoder: the SOSD-Net task branch, shapes, values, parameter
counts and the decoder interface."""

import pytest
import torch
import torch.nn.functional as F

from mmdepthsr.models.decoders import ConvBranchDecoder


def _num_params(module):
    return sum(p.numel() for p in module.parameters())


def test_param_counts_sosd_widths():
    # refine 1x1 256->48 + BN, task 3x3 48->48 + BN, 3x3 304->256 + BN
    seg = ConvBranchDecoder((256, 256))
    assert _num_params(seg) == (256 * 48 + 96) + (48 * 48 * 9 + 96) + (
        304 * 256 * 9 + 512
    )
    depth = ConvBranchDecoder((256, 256), num_convs=2)
    assert _num_params(depth) - _num_params(seg) == 256 * 256 * 9 + 512
    assert (seg.num_stages, seg.channels, seg.scales) == (1, (256,), (4,))


def test_forward_is_convs_over_cue_and_upsampled_global_map():
    torch.manual_seed(0)
    dec = ConvBranchDecoder(
        (5, 7, 3),
        channels=6,
        refine_channels=None,
        task_channels=4,
        task_kernel_size=1,
        global_index=2,
    ).eval()
    low, other, glob = (
        torch.randn(2, 5, 8, 12),
        torch.randn(2, 7, 2, 3),
        torch.randn(2, 3, 2, 3),
    )
    out = dec((low, other, glob))
    assert len(out) == 1 and out[0].shape == (2, 6, 8, 12)
    up = F.interpolate(glob, size=(8, 12), mode='bilinear')
    expected = dec.convs(torch.cat([dec.task_conv(low), up], 1))
    torch.testing.assert_close(out[0], expected)
    torch.testing.assert_close(
        dec.forward_stage(0, None, (low, other, glob)), expected
    )


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match='global_index 2 does not index'):
        ConvBranchDecoder((4, 4), global_index=2)
    with pytest.raises(ValueError, match='one width'):
        ConvBranchDecoder((4, 4), channels=(8, 8))
    with pytest.raises(ValueError, match='num_convs must be >= 1'):
        ConvBranchDecoder((4, 4), num_convs=0)
    with pytest.raises(ValueError, match='one stage, got stage index 1'):
        ConvBranchDecoder((4, 4)).forward_stage(1, None, ())
