"""PMBANet building blocks (Sunbaoli/PMBANet_DSR): the projection kernel
table, the attention units and the up-projection checked by hand."""

import pytest
import torch
import torch.nn as nn

from mmdepthsr.models.layers.pmba_blocks import (
    PMBA_KERNEL_TABLE,
    FeedForwardAttention,
    MBABlock,
    PMBAChannelAttention,
    UpProjection,
    pmba_projection,
)


def test_kernel_table_gives_exact_factor():
    for s, (k, stride, p) in PMBA_KERNEL_TABLE.items():
        assert stride == s
        # deconv: (h - 1) s - 2 p + k = s h; conv back: (s h + 2 p - k) / s
        # + 1 = h
        assert k - 2 * p == s
    with pytest.raises(ValueError, match='scale_factor must be one of'):
        pmba_projection(3)


def test_attention_units_by_hand():
    ca = PMBAChannelAttention(32)
    for fc in (ca.fc1, ca.fc2):
        nn.init.zeros_(fc.weight)
        nn.init.zeros_(fc.bias)
    x = torch.randn(2, 32, 3, 5)
    # sigmoid(0) = 0.5: y = x + 0.5 x
    torch.testing.assert_close(ca(x), 1.5 * x)

    ffa = FeedForwardAttention(4)
    nn.init.zeros_(ffa.up[0].weight)
    nn.init.zeros_(ffa.up[0].bias)
    x = torch.randn(1, 4, 8, 4)
    # context 0: y = x + 0.1 relu(x) x
    torch.testing.assert_close(ffa(x), x + 0.1 * x.clamp(min=0) * x)
    with pytest.raises(ValueError, match='FeedForwardAttention.*by 4'):
        ffa(torch.randn(1, 4, 6, 8))


def test_up_projection_error_feedback_by_hand():
    up = UpProjection(1, 2)
    with torch.no_grad():
        # deconv: each LR pixel -> a constant 2x2 block (kernel 6, pad 2:
        # the central 2 x 2 taps of the 6 x 6 kernel), conv: mean of the
        # block; slopes 1 make the PReLUs identities.
        for m in (up.up1, up.up2):
            m[0].weight.zero_()
            m[0].weight[0, 0, 2:4, 2:4] = 1.0
            m[0].bias.zero_()
            m[1].weight.fill_(1.0)
        up.down[0].weight.zero_()
        up.down[0].weight[0, 0, 2:4, 2:4] = 0.25
        up.down[0].bias.fill_(0.5)
        up.down[1].weight.fill_(1.0)
    x = torch.arange(4.0).reshape(1, 1, 2, 2)
    h0 = x.repeat_interleave(2, 2).repeat_interleave(2, 3)
    # L0 = x + 0.5, H1 = up(L0 - x) = 0.5 everywhere: y = H0 + 0.5
    torch.testing.assert_close(up(x), h0 + 0.5)


def test_mba_block_shapes():
    block = MBABlock(16, 8, 4, num_af_blocks=2)
    assert len(block.af_blocks) == 2
    assert block.af_blocks[0].down is None
    assert block.af_blocks[1].down is not None
    out = block(torch.rand(1, 16, 4, 4), torch.rand(1, 8, 16, 16))
    assert out.shape == (1, 8, 16, 16)
