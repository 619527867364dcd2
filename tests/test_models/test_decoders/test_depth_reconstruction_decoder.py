"""DepthReconstructionDecoder: output size, parameter count, errors."""

import pytest
import torch

from mmdepthsr.models.decoders import DepthReconstructionDecoder


def test_decoder_shape_and_params():
    dec = DepthReconstructionDecoder(in_channels=32, stride=2, channels=16)
    out = dec(torch.rand(2, 32, 5, 6), (9, 11))
    assert out.shape == (2, 1, 9, 11)
    # 32*16*9 + BN 32, 16*16*9 + BN 32, out conv 16*9 + 1
    assert sum(p.numel() for p in dec.parameters()) == (
        4608 + 32 + 2304 + 32 + 145
    )
    with pytest.raises(ValueError, match='power of 2'):
        DepthReconstructionDecoder(in_channels=8, stride=3)
