"""ProgressiveDecoder: shapes, stage-by-stage use and bad input."""

import pytest
import torch

from mmdepthsr.models.decoders import ProgressiveDecoder
from mmdepthsr.registry import MODELS


def _feats(channels=(4, 8, 8, 16), size=(32, 48), n=2):
    return [
        torch.rand(n, c, size[0] // s, size[1] // s)
        for c, s in zip(channels, (2, 4, 8, 16))
    ]


def test_decoder_features_at_every_scale():
    dec = MODELS.build(
        dict(
            type='ProgressiveDecoder',
            in_channels=(4, 8, 8, 16),
            channels=(8, 8, 4, 4, 4),
        )
    )
    feats = dec(_feats())
    assert [tuple(f.shape) for f in feats] == [
        (2, 8, 2, 3),
        (2, 8, 4, 6),
        (2, 4, 8, 12),
        (2, 4, 16, 24),
        (2, 4, 32, 48),
    ]
    assert dec.scales == (16, 8, 4, 2, 1)
    # stage k input = previous width + skip width (16, 8, 8, 4, none)
    firsts = [stage[0][0].in_channels for stage in dec.stages]
    assert firsts == [16, 8 + 8, 8 + 8, 4 + 4, 4]


def test_decoder_stagewise_equals_forward():
    dec = ProgressiveDecoder((4, 8, 8, 16), channels=(8, 8, 4, 4, 4)).eval()
    feats = _feats()
    x, stages = None, []
    for k in range(dec.num_stages):
        x = dec.forward_stage(k, x, feats)
        stages.append(x)
    for a, b in zip(stages, dec(feats)):
        torch.testing.assert_close(a, b)


def test_decoder_gradient_reaches_coarsest_input():
    dec = ProgressiveDecoder((4, 8, 8, 16), channels=(8, 8, 4, 4, 4))
    feats = [f.requires_grad_() for f in _feats()]
    dec(feats)[-1].sum().backward()
    assert all(f.grad is not None and f.grad.abs().sum() > 0 for f in feats)


def test_decoder_bad_input():
    dec = ProgressiveDecoder((4, 8, 8, 16), channels=(8, 8, 4, 4, 4))
    with pytest.raises(ValueError, match='ProgressiveDecoder.*4 input'):
        dec(_feats()[:3])
    with pytest.raises(ValueError, match='ProgressiveDecoder.*channels'):
        dec(_feats(channels=(4, 8, 8, 8)))
    bad = _feats()
    bad[1] = bad[1][..., :-1]
    with pytest.raises(ValueError, match='ProgressiveDecoder.*halve'):
        dec(bad)
    with pytest.raises(ValueError, match='channels'):
        ProgressiveDecoder((4, 8, 8, 16), channels=(8, 8, 4, 4))
