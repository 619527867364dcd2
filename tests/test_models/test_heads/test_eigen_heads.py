"""Eigen 2014 coarse (fc) and fine (conv) heads."""

import pytest
import torch
import torch.nn.functional as F

from mmdepthsr.models.heads import EigenCoarseHead, EigenFineHead


def _num_params(module):
    return sum(p.numel() for p in module.parameters())


def test_coarse_head_nyu_shapes_and_params():
    head = EigenCoarseHead()
    seen = {}
    head.fc6.register_forward_hook(
        lambda m, i, o: seen.update(fc6_in=i[0].shape, fc6_out=o.shape)
    )
    out = head(torch.randn(2, 256, 6, 8))
    assert seen == dict(fc6_in=(2, 12288), fc6_out=(2, 4096))
    assert out.shape == (2, 1, 55, 74)
    assert _num_params(head.fc6) == 12288 * 4096 + 4096 == 50_335_744
    assert _num_params(head.fc7) == 4096 * 4070 + 4070 == 16_674_790
    assert _num_params(head) == 67_010_534


def test_coarse_head_kitti_shapes_and_params():
    head = EigenCoarseHead(in_size=(4, 17), out_size=(27, 142))
    out = head(torch.randn(1, 256, 4, 17))
    assert out.shape == (1, 1, 27, 142)
    assert head.fc6.in_features == 17408 and head.fc7.out_features == 3834
    assert _num_params(head) == 71_307_264 + 15_707_898


def test_coarse_head_computation_in_eval():
    """Eval: fc7(relu(fc6(0.01 * flatten(x)))), dropout off."""
    torch.manual_seed(0)
    head = EigenCoarseHead(
        in_channels=4, in_size=(2, 3), out_size=(3, 5), hidden_channels=16
    ).eval()
    x = torch.randn(2, 4, 2, 3) * 100
    expected = head.fc7(F.relu(head.fc6(0.01 * x.flatten(1))))
    torch.testing.assert_close(head(x), expected.view(2, 1, 3, 5))


def test_coarse_head_dropout_after_fc6():
    torch.manual_seed(0)
    head = EigenCoarseHead(
        in_channels=4, in_size=(2, 3), out_size=(3, 5), hidden_channels=4000
    ).train()
    seen = {}
    head.fc7.register_forward_hook(lambda m, i, o: seen.update(x=i[0]))
    x = torch.randn(1, 4, 2, 3)
    head(x)
    hidden = F.relu(head.fc6(0.01 * x.flatten(1)))
    alive = hidden > 0
    kept = seen['x'][alive] != 0
    assert 0.45 < kept.float().mean() < 0.55  # p = 0.5
    # inverted dropout: kept units are doubled
    torch.testing.assert_close(seen['x'][alive][kept], 2 * hidden[alive][kept])


def test_coarse_head_wrong_feature_size():
    with pytest.raises(ValueError, match=r'256, 6, 8'):
        EigenCoarseHead()(torch.randn(1, 256, 4, 17))


def test_paper_init():
    torch.manual_seed(0)
    coarse, fine = EigenCoarseHead(), EigenFineHead()
    coarse.init_weights()
    fine.init_weights()
    assert abs(coarse.fc6.weight.std().item() - 0.01) < 1e-4
    assert coarse.fc7.weight.abs().max() <= 0.005
    assert abs(coarse.fc7.weight.std().item() - 0.005 / 3**0.5) < 1e-5
    assert abs(fine.fine1.weight.std().item() - 0.001) < 5e-5
    assert abs(fine.fine2.weight.std().item() - 0.01) < 2e-4
    for bias in (
        coarse.fc6.bias,
        coarse.fc7.bias,
        fine.fine1.bias,
        fine.fine2.bias,
        fine.fine3.bias,
    ):
        assert torch.count_nonzero(bias) == 0


def test_fine_head_shapes_and_params():
    head = EigenFineHead()
    seen = {}
    head.fine1.register_forward_hook(
        lambda m, i, o: seen.update(fine1=o.shape)
    )
    out = head(torch.randn(2, 3, 228, 304), torch.randn(2, 1, 55, 74))
    assert seen['fine1'] == (2, 64, 111, 149)
    assert out.shape == (2, 1, 55, 74)
    assert (
        _num_params(head)
        == (64 * 3 * 81 + 64) + (64 * 64 * 25 + 64) + (64 * 25 + 1)
        == 119_681
    )
    assert head.output_size((228, 304)) == (55, 74)
    assert head.output_size((116, 576)) == (27, 142)  # KITTI bottom crop


def test_fine_head_replaces_channel0_by_coarse():
    torch.manual_seed(0)
    head = EigenFineHead()
    seen = {}
    head.fine2.register_forward_hook(lambda m, i, o: seen.update(x=i[0]))
    img = torch.randn(1, 3, 228, 304)
    coarse = torch.randn(1, 1, 55, 74)
    out = head(img, coarse)
    pooled = F.max_pool2d(F.relu(head.fine1(img)), 3, 2)
    assert seen['x'].shape == (1, 64, 55, 74)
    torch.testing.assert_close(seen['x'][:, :1], coarse)
    torch.testing.assert_close(seen['x'][:, 1:], pooled[:, 1:])
    # the first fine1 filter is discarded: changing it changes nothing
    with torch.no_grad():
        head.fine1.weight[0] += 1.0
        head.fine1.bias[0] += 1.0
    torch.testing.assert_close(head(img, coarse), out)


def test_fine_head_coarse_shape_mismatch():
    with pytest.raises(ValueError, match=r'\(N, 1, 55, 74\)'):
        EigenFineHead()(torch.randn(1, 3, 228, 304), torch.randn(1, 1, 27, 74))
