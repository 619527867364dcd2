"""EigenMultiScaleDecoder / Eigen 2015 task heads: layer table sizes, the
scale-3 concat and the per-task parameter counts."""

import pytest
import torch

from mmdepthsr.models.decoders import EigenMultiScaleDecoder
from mmdepthsr.models.heads import EigenDepthHead, EigenNormalHead
from mmdepthsr.registry import MODELS

# Small scale-1 fc layers keep the tests fast; the layer geometry is the
# release's (64 x 14 x 19 -> x4 -> crop to 55 x 74).
SMALL_S1 = dict(in_channels=8, in_size=(7, 9), hidden_channels=16)


def _num_params(module):
    return sum(p.numel() for p in module.parameters())


def _decoder(heads, **kwargs):
    torch.manual_seed(0)
    return EigenMultiScaleDecoder(heads=heads, scale1=SMALL_S1, **kwargs)


def test_task_head_params():
    # conv_s2_2 160*64*25+64, conv_s2_3/4 2*(64*64*25+64), conv_s2_5
    # 64*C*25+C, conv_s3_2/3 2*(64*64*25+64), conv_s3_4 64*C*25+C, plus the
    # 55 x 74 depth bias map (4070).
    depth = EigenDepthHead()
    normal = EigenNormalHead()
    assert _num_params(depth) == 256_064 + 204_928 * 2 + 1_601 * 2 + 4_070
    assert _num_params(depth) == 673_192
    assert _num_params(normal) == 256_064 + 204_928 * 2 + 4_803 * 2
    assert _num_params(normal) == 675_526
    assert _num_params(EigenDepthHead(use_prior_bias=False)) == 669_122
    assert len(depth.scale_parameters(2)) == 9  # 4 convs x 2 + bias map
    assert len(depth.scale_parameters(3)) == 6


def test_scale2_and_scale3_sizes_and_normals():
    dec = _decoder(
        dict(
            depth=dict(type='EigenDepthHead'),
            normal=dict(type='EigenNormalHead'),
        )
    ).eval()
    # shared first layers: 3*96*81+96 and 3*64*81+64
    assert _num_params(dec.conv_s2_1) == 23_424
    assert _num_params(dec.conv_s3_1) == 15_616
    seen = {}
    dec.pool_s2_1.register_forward_hook(
        lambda m, i, o: seen.update(s2_conv=tuple(i[0].shape[1:]))
    )
    dec.pool_s3_1.register_forward_hook(
        lambda m, i, o: seen.update(s3_conv=tuple(i[0].shape[1:]))
    )
    dec.heads.depth.conv_s2_2.register_forward_hook(
        lambda m, i, o: seen.update(s2_cat=tuple(i[0].shape[1:]))
    )
    dec.heads.normal.conv_s3_2.register_forward_hook(
        lambda m, i, o: seen.update(s3_cat=i[0].detach().clone())
    )
    img = torch.randn(1, 3, 228, 304)
    s2 = dec.forward_scale2(torch.rand(1, 8, 7, 9), img)
    s3 = dec.forward_scale3(img, s2)
    assert seen['s2_conv'] == (96, 111, 149)
    assert seen['s3_conv'] == (64, 111, 149)
    assert seen['s2_cat'] == (160, 55, 74)
    assert s2['depth'].shape == (1, 1, 55, 74)
    assert s2['normal'].shape == (1, 3, 55, 74)
    assert s3['depth'].shape == (1, 1, 109, 147)
    assert s3['normal'].shape == (1, 3, 109, 147)
    # concat = [depth 1, normals 3, pooled conv_s3_1 minus its first 4]
    cat = seen['s3_cat']
    assert cat.shape == (1, 64, 109, 147)
    torch.testing.assert_close(
        cat[:, 0, 2 * 7 + 1, 2 * 9], s2['depth'][:, 0, 7, 9]
    )
    torch.testing.assert_close(
        cat[:, 1:4, 2 * 7, 2 * 9 + 1], s2['normal'][:, :, 7, 9]
    )
    pooled = dec.pool_s3_1(dec.relu(dec.conv_s3_1(img)))
    torch.testing.assert_close(cat[:, 4:], pooled[:, 4:])
    for out in (s2['normal'], s3['normal']):
        # n / sqrt(|n|^2 + 1e-4): unit up to the 1e-4 regulariser
        norm = out.norm(dim=1)
        assert (norm <= 1).all()
        assert (norm > 0.9).float().mean() > 0.5


def test_normals_unit_length_for_large_outputs():
    head = EigenNormalHead()
    n = head.finish(torch.randn(2, 3, 5, 5) * 100, 3)
    torch.testing.assert_close(n.norm(dim=1), torch.ones(2, 5, 5))


def test_seg_concat_replace_and_append():
    heads = dict(seg=dict(type='EigenSemSegHead', num_classes=40))
    dec = _decoder(dict(heads, depth=dict(type='EigenDepthHead')))
    assert dec.tasks == ('depth', 'seg')
    assert dec.pred_channels == 41
    assert dec.heads.seg.conv_s3_2.in_channels == 64
    with pytest.raises(ValueError, match='append'):
        _decoder(dict(seg=dict(type='EigenSemSegHead', num_classes=64)))
    dec = _decoder(
        dict(seg=dict(type='EigenSemSegHead', num_classes=64)),
        s3_concat='append',
    ).eval()
    assert dec.heads.seg.conv_s3_2.in_channels == 128
    img = torch.randn(1, 3, 228, 304)
    s2 = dec.forward_scale2(torch.rand(1, 8, 7, 9), img)
    s3 = dec.forward_scale3(img, s2)
    assert s3['seg'].shape == (1, 64, 109, 147)


def test_registry_and_bad_tasks():
    head = MODELS.build(dict(type='EigenSemSegHead', num_classes=13))
    assert head.conv_s2_5.out_channels == 13
    with pytest.raises(ValueError, match='subset'):
        _decoder(dict(height=dict(type='EigenDepthHead')))


def test_scale3_crop_matches_whole_grid_inside():
    """Scale 3 on a crop of its grid: the release's 120 x 158 input window
    for 55 x 74 outputs, and the same values as the whole-grid run wherever
    the zero padding at the crop's border is out of reach."""
    dec = _decoder(
        dict(
            depth=dict(type='EigenDepthHead'),
            normal=dict(type='EigenNormalHead'),
        )
    ).eval()
    assert dec.scale3_grid((228, 304)) == (109, 147)
    assert dec.scale3_input_window((7, 11, 55, 74)) == (14, 22, 120, 158)
    img = torch.randn(1, 3, 228, 304)
    with torch.no_grad():
        s2 = dec.forward_scale2(torch.rand(1, 8, 7, 9), img)
        whole = dec.forward_scale3(img, s2)
        crop = dec.forward_scale3(img, s2, crop=(7, 11, 55, 74))
    for task in ('depth', 'normal'):
        assert crop[task].shape[-2:] == (55, 74)
        # receptive radius on the grid: 3 task convs 5x5 (6) + 1 pool (1),
        # plus 1 for the conv padding at the window's edge
        r = 8
        torch.testing.assert_close(
            crop[task][..., r:-r, r:-r],
            whole[task][..., 7 + r : 7 + 55 - r, 11 + r : 11 + 74 - r],
        )
    with pytest.raises(ValueError, match='leaves'):
        dec.forward_scale3(img, s2, crop=(60, 0, 55, 74))
