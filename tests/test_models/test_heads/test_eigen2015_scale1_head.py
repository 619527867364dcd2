"""EigenScale1Head: the fixed bilinear upsampling, layer table sizes and
the fully connected parameter counts of the release."""

import pytest
import torch

from mmdepthsr.models.heads import EigenScale1Head, bilinear_upsample_kernel

# Small fc layers keep the tests fast; the layer geometry is the release's
# (64 x 14 x 19 -> x4 -> crop to 55 x 74).
SMALL_S1 = dict(in_channels=8, in_size=(7, 9), hidden_channels=16)


def _num_params(module):
    return sum(p.numel() for p in module.parameters())


def test_bilinear_kernel_interpolates_linearly():
    kernel = bilinear_upsample_kernel(4)
    assert kernel.shape == (7, 7)
    torch.testing.assert_close(
        kernel[3], torch.tensor([0.25, 0.5, 0.75, 1, 0.75, 0.5, 0.25])
    )
    head = EigenScale1Head(**SMALL_S1)
    # A linear ramp along the columns stays linear after the x4 upsampling:
    # input column j lands on cropped column 4 j + 1.
    ramp = torch.arange(19.0).expand(1, 64, 14, 19)
    up = torch.nn.functional.conv_transpose2d(
        ramp,
        head.upsample_kernel.expand(64, 1, 7, 7),
        stride=4,
        groups=64,
    )
    assert up.shape == (1, 64, 59, 79)
    row = up[0, 0, 20, 2:76]
    torch.testing.assert_close(row[1::4], torch.arange(19.0))
    torch.testing.assert_close(row[2], torch.tensor(0.25))


def test_scale1_head_sizes_and_params():
    head = EigenScale1Head(**SMALL_S1).eval()
    seen = {}
    head.full2.register_forward_hook(
        lambda m, i, o: seen.update(full2=o.shape[1])
    )
    out = head(torch.rand(2, 8, 7, 9))
    assert seen == dict(full2=17024)  # 64 x 14 x 19
    assert out.shape == (2, 64, 55, 74)
    assert (out >= 0).all()  # full2 has a ReLU, bilinear keeps the sign
    # VGG16 pool5 (512 x 7 x 9 = 32256) -> 4096 -> 17024
    vgg = EigenScale1Head(hidden_channels=4096)
    assert _num_params(vgg.full1) == 32256 * 4096 + 4096 == 132_124_672
    assert _num_params(vgg.full2) == 4096 * 17024 + 17024 == 69_747_328
    with pytest.raises(ValueError, match='512, 7, 9'):
        vgg(torch.rand(1, 512, 6, 8))
