"""MultiTaskEncoderDecoder: composition from the config, the interaction
schedule, monocular multi-task models, JointDepthSR as a configuration of
it, and checkpoints of the earlier self-contained JointDepthSR."""

from pathlib import Path

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.structures import PixelData

from mmdepthsr.registry import MODELS
from mmdepthsr.structures import DenseDataSample
from mmdepthsr.utils import register_all_modules
from mmdepthsr.utils.checkpoint import load_checkpoint

LEGACY = Path(__file__).parents[2] / 'fixtures' / 'legacy_checkpoints'
ENC = dict(type='LightConvEncoder', channels=(4, 4, 8, 8))
DEC = dict(type='ProgressiveDecoder', channels=(8, 8, 4, 4, 4))


@MODELS.register_module(name='_RecordingUnit', force=True)
class _RecordingUnit(nn.Module):
    """Test-only unit: ``x + scale * mean(guide)``, recording its inputs."""

    calls = []

    def __init__(self, channels, guide_channels, scale=1.0):
        super().__init__()
        self.scale = scale
        self.channels = channels

    def forward(self, x, guide):
        _RecordingUnit.calls.append((self.scale, x.clone(), guide.clone()))
        return x + self.scale * guide.mean(dim=(1, 2, 3), keepdim=True)


def _samples(n=2, size=(32, 48), s=4, seed=0, num_classes=3, lr=True):
    gen = torch.Generator().manual_seed(seed)
    h, w = size
    samples = []
    for _ in range(n):
        meta = dict(img_shape=size, ori_shape=size, batch_input_shape=size)
        sample = DenseDataSample(metainfo=meta)
        if lr:
            sample.set_metainfo(dict(scale_factor=s, depth_norm_max=4.0))
            lr_map = 0.3 + 0.6 * torch.rand(1, h // s, w // s, generator=gen)
            sample.lr_depth = PixelData(data=lr_map)
        gt = 4.0 * (0.3 + 0.7 * torch.rand(1, h, w, generator=gen))
        sample.gt_depth = PixelData(data=gt)
        seg = torch.randint(0, num_classes, (1, h, w), generator=gen)
        sample.gt_sem_seg = PixelData(data=seg)
        normal = torch.randn(3, h, w, generator=gen)
        sample.gt_normal = PixelData(data=normal / normal.norm(dim=0))
        samples.append(sample)
    img = torch.rand(n, 3, h, w, generator=gen)
    return img, samples


def _monocular(**kwargs):
    cfg = dict(
        type='MultiTaskEncoderDecoder',
        backbone=dict(ENC, in_channels=3),
        decoders=dict(depth=DEC, seg=DEC, normal=DEC),
        heads=dict(
            depth=dict(type='DepthHead'),
            seg=dict(type='SegHead', num_classes=3),
            normal=dict(type='NormalHead'),
        ),
        size_divisor=16,
    )
    cfg.update(kwargs)
    torch.manual_seed(0)
    return MODELS.build(cfg)


def test_monocular_tri_task_model_losses_and_predictions():
    model = _monocular()
    assert model.scale_factor is None and not model.needs_lr_depth
    assert model.tasks == ('depth', 'seg', 'normal')
    # heads take their widths and scales from their decoders
    head = model.heads['seg']
    assert head.in_channels == (8, 8, 4, 4, 4)
    assert head.scales == (16, 8, 4, 2, 1)
    img, samples = _samples(lr=False)
    losses = model.loss(img, samples)
    assert sorted(losses) == sorted(
        f'loss_{t}_s{k}'
        for t in ('depth', 'seg', 'normal')
        for k in (16, 8, 4, 2, 1)
    )
    sum(losses.values()).backward()
    grad = model.backbone.stages[0][0][0].weight.grad
    assert grad is not None and grad.abs().sum() > 0
    model.eval()
    with torch.no_grad():
        out = model.predict(img, samples)
        raw = model._forward(img, samples)
    assert sorted(raw) == ['depth', 'normal', 'seg']
    for i, sample in enumerate(out):
        # no depth normalisation recorded: metres are the raw output
        torch.testing.assert_close(sample.pred_depth.data, raw['depth'][i])
        assert sample.seg_logits.data.shape == (3, 32, 48)
        torch.testing.assert_close(
            sample.pred_sem_seg.data,
            raw['seg'][i].argmax(0, keepdim=True),
        )
        norms = sample.pred_normal.data.norm(dim=0)
        torch.testing.assert_close(norms, torch.ones_like(norms))


def test_head_without_decoder_reads_the_backbone_maps():
    model = _monocular(
        decoders=None,
        heads=dict(depth=dict(type='DepthHead', scales=(2, 4, 8, 16))),
        size_divisor=16,
    )
    assert model.heads['depth'].in_channels == (4, 4, 8, 8)
    img, samples = _samples(lr=False)
    assert sorted(model.loss(img, samples)) == [
        'loss_depth_s16',
        'loss_depth_s2',
        'loss_depth_s4',
        'loss_depth_s8',
    ]


def test_interaction_schedule_order_and_inputs():
    """Units run in list order at their stages; ``x`` is the target's
    current features, ``guide`` the guide's features before any unit of
    the stage ran."""
    model = _monocular(
        decoders=dict(depth=DEC, seg=DEC),
        heads=dict(
            depth=dict(type='DepthHead'),
            seg=dict(type='SegHead', num_classes=3),
        ),
        interactions=[
            dict(
                type='_RecordingUnit', target='depth', guide='seg', scale=1.0
            ),
            dict(
                type='_RecordingUnit', target='seg', guide='depth', scale=2.0
            ),
            dict(
                type='_RecordingUnit',
                name='again',
                target='depth',
                guide='seg',
                scale=3.0,
                stages=(4,),
            ),
        ],
    ).eval()
    assert sorted(model.interactions) == [
        'again',
        'depth_from_seg',
        'seg_from_depth',
    ]
    assert sorted(model.interactions['again']) == ['s1']
    assert model.interactions['depth_from_seg']['s8'].channels == 8
    img, _ = _samples(lr=False)
    _RecordingUnit.calls.clear()
    with torch.no_grad():
        model.forward_tasks(img)
    assert [c[0] for c in _RecordingUnit.calls] == [1.0, 2.0] * 5 + [3.0]
    # stage 4: the second unit's guide is the depth features before the
    # first unit refined them; the third unit's x is after the first
    _, x1, g1 = _RecordingUnit.calls[8]
    _, x2, g2 = _RecordingUnit.calls[9]
    _, x3, g3 = _RecordingUnit.calls[10]
    torch.testing.assert_close(g2, x1)
    torch.testing.assert_close(x3, x1 + g1.mean(dim=(1, 2, 3), keepdim=True))
    torch.testing.assert_close(g3, g1)


@MODELS.register_module(name='_WideningContextUnit', force=True)
class _WideningContextUnit(nn.Module):
    """Test-only unit: ``[x, mean of context]`` (one channel wider)."""

    calls = []

    def __init__(self, channels, guide_channels, context_channels):
        super().__init__()
        self.context_channels = context_channels
        self.out_channels = channels + 1

    def forward(self, x, guide, context):
        _WideningContextUnit.calls.append(context.clone())
        mean = context.mean(dim=1, keepdim=True)
        return torch.cat([x, F.interpolate(mean, size=x.shape[-2:])], 1)


def _widened(**unit):
    """Depth + seg model with one ``_WideningContextUnit`` (depth from
    seg) configured by ``unit``."""
    return _monocular(
        decoders=dict(depth=DEC, seg=DEC),
        heads=dict(
            depth=dict(type='DepthHead'),
            seg=dict(type='SegHead', num_classes=3),
        ),
        interactions=[
            dict(
                type='_WideningContextUnit',
                target='depth',
                guide='seg',
                **unit,
            )
        ],
    )


def test_interaction_context_and_widened_head_inputs():
    """A unit with ``context`` gets that map of the feature source, and the
    head of its target reads the unit's ``out_channels``."""
    model = _widened(context='backbone', context_index=1, stages=(4,)).eval()
    units = model.interactions['depth_from_seg']
    assert sorted(units) == ['s1']
    # LightConvEncoder channels (4, 4, 8, 8): map 1 has 4 channels.
    assert units['s1'].context_channels == 4
    assert model.heads['depth'].in_channels == (8, 8, 4, 4, 5)
    assert model.heads['seg'].in_channels == (8, 8, 4, 4, 4)
    img, _ = _samples(lr=False)
    _WideningContextUnit.calls.clear()
    with torch.no_grad():
        preds = model.forward_tasks(img)
        backbone_maps = model.backbone(img)
    assert len(_WideningContextUnit.calls) == 1
    torch.testing.assert_close(_WideningContextUnit.calls[0], backbone_maps[1])
    assert [tuple(p.shape[-2:]) for p in preds['depth']][-1] == (32, 48)
    with pytest.raises(ValueError, match='feed the next decoder stage'):
        _widened(context='backbone', stages=(3,))
    with pytest.raises(ValueError, match="context 'neck' is not one"):
        _widened(context='neck')
    with pytest.raises(ValueError, match='context_index 4 is out of range'):
        _widened(context='backbone', context_index=4)


def test_composition_errors_name_the_problem():
    with pytest.raises(ValueError, match='no decoder'):
        _monocular(
            decoders=dict(depth=DEC),
            heads=dict(
                depth=dict(type='DepthHead'),
                seg=dict(type='SegHead', num_classes=3, scales=(2, 4, 8, 16)),
            ),
            interactions=[
                dict(type='_RecordingUnit', target='depth', guide='seg')
            ],
        )
    with pytest.raises(ValueError, match=r"heads\['depth'\].*task 'depth'"):
        _monocular(
            decoders=dict(depth=DEC),
            heads=dict(depth=dict(type='SegHead', num_classes=3)),
        )
    with pytest.raises(ValueError, match='scale_factor'):
        _monocular(heads=dict(sr=dict(type='SRHead')), decoders=dict(sr=DEC))
    with pytest.raises(ValueError, match='decoder_inputs'):
        _monocular(decoder_inputs=dict(depth='lr_encoder'))
    with pytest.raises(ValueError, match='divisible by 16'):
        _monocular().forward_tasks(torch.zeros(1, 3, 24, 32))
    with pytest.raises(ValueError, match='tiled inference'):
        _monocular(test_cfg=dict(mode='slide', patch_size=(32, 32))).predict(
            *_samples(lr=False)
        )


def _joint_cfg(tri):
    cfg = dict(
        type='JointDepthSR',
        scale_factor=4,
        colour_encoder=dict(ENC, in_channels=3),
        depth_encoder=dict(ENC, in_channels=1),
        fuse_channels=(4, 4, 8, 8),
        decoder_channels=(8, 8, 4, 4, 4),
    )
    if tri:
        cfg.update(
            sr_fusion=dict(type='DepthGuidedSRFusion'),
            depth_fusion=dict(type='SRGuidedDepthFusion'),
            num_classes=3,
            sem_to_depth=dict(type='SemanticToDepth'),
            depth_to_sem=dict(type='DepthToSemantic'),
        )
    return cfg


def test_joint_depth_sr_is_a_configuration_of_the_composable_estimator():
    """The v3 model written out as a MultiTaskEncoderDecoder config has the
    same parameters and outputs as JointDepthSR."""
    torch.manual_seed(0)
    joint = MODELS.build(
        _joint_cfg(tri=False)
        | dict(sr_fusion=dict(type='DepthGuidedSRFusion'))
    )
    weights = (0.125, 0.25, 0.5, 0.5, 1.0)
    composed = MODELS.build(
        dict(
            type='MultiTaskEncoderDecoder',
            scale_factor=4,
            backbone=dict(ENC, in_channels=3),
            lr_encoder=dict(ENC, in_channels=1),
            neck=dict(type='ConcatFusionNeck', out_channels=(4, 4, 8, 8)),
            decoders=dict(sr=DEC, depth=DEC),
            heads=dict(
                sr=dict(type='SRHead', loss_weights=weights),
                depth=dict(type='DepthHead', loss_weights=weights),
            ),
            interactions=[
                dict(
                    type='DepthGuidedSRFusion',
                    name='sr_fusion',
                    target='sr',
                    guide='depth',
                )
            ],
            feature_strides=(2, 4, 8, 16),
            size_divisor=16,
        )
    )
    assert composed.load_state_dict(joint.state_dict(), strict=True)
    img, samples = _samples()
    joint.eval(), composed.eval()
    with torch.no_grad():
        a, b = joint.predict(img, samples), composed.predict(img, samples)
        la, lb = joint.loss(img, samples), composed.loss(img, samples)
    for x, y in zip(a, b):
        torch.testing.assert_close(x.pred_sr_depth.data, y.pred_sr_depth.data)
        torch.testing.assert_close(x.pred_depth.data, y.pred_depth.data)
    assert la.keys() == lb.keys()
    for key in la:
        torch.testing.assert_close(la[key], lb[key])


@pytest.mark.parametrize('name, tri', [('v2', False), ('v3_tri', True)])
def test_checkpoints_of_the_earlier_joint_depth_sr_load_and_match(name, tri):
    """Checkpoints written by the self-contained JointDepthSR (separate
    encoders, fusions, decoders with prediction convs) load strictly into
    the composed one and give the recorded outputs and losses."""
    register_all_modules()
    ref = torch.load(LEGACY / 'joint_depth_sr_tiny_reference.pth')
    model = MODELS.build(_joint_cfg(tri))
    load_checkpoint(
        model, str(LEGACY / f'joint_depth_sr_{name}_tiny.pth'), strict=True
    )
    model.eval()
    size = tuple(ref['img'].shape[-2:])
    samples = []
    for i in range(len(ref['img'])):
        meta = dict(img_shape=size, ori_shape=size, batch_input_shape=size)
        sample = DenseDataSample(
            metainfo=dict(meta, scale_factor=4, depth_norm_max=4.0)
        )
        sample.lr_depth = PixelData(data=ref['lr_depth'][i])
        sample.gt_depth = PixelData(data=ref['gt_depth'][i])
        sample.gt_sem_seg = PixelData(data=ref['gt_sem_seg'][i])
        samples.append(sample)
    with torch.no_grad():
        outs = model.forward_tasks(ref['img'], ref['lr_depth'])
        losses = model.loss(ref['img'], samples)
    expected = ref[name]
    assert sorted(outs) == sorted(expected['outputs'])
    for task, preds in expected['outputs'].items():
        for old, new in zip(preds, outs[task]):
            torch.testing.assert_close(new, old, atol=1e-6, rtol=0)
    assert losses.keys() == expected['losses'].keys()
    for key, value in expected['losses'].items():
        torch.testing.assert_close(losses[key], value, atol=1e-6, rtol=0)


def test_tiled_inference_gives_every_head_its_output_units():
    """One tile over the image with ``normalize='max'``: depth heads are
    de-normalised per tile, the normal head's stitched output is made unit
    length, and both equal whole-image inference."""
    cfg = dict(
        type='MultiTaskEncoderDecoder',
        scale_factor=4,
        backbone=dict(ENC, in_channels=3),
        lr_encoder=dict(ENC, in_channels=1),
        neck=dict(type='ConcatFusionNeck', out_channels=(4, 4, 8, 8)),
        decoders=dict(sr=DEC, normal=DEC),
        heads=dict(sr=dict(type='SRHead'), normal=dict(type='NormalHead')),
        feature_strides=(2, 4, 8, 16),
        size_divisor=16,
    )
    torch.manual_seed(0)
    whole = MODELS.build(cfg).eval()
    slide = MODELS.build(
        dict(
            cfg,
            test_cfg=dict(mode='slide', patch_size=(32, 48), normalize='max'),
        )
    ).eval()
    slide.load_state_dict(whole.state_dict())
    img, samples = _samples()
    for sample in samples:  # LR maxima equal the recorded statistics
        sample.lr_depth.data[0, 0, 0] = 1.0
    with torch.no_grad():
        a, b = whole.inference(img, samples), slide.inference(img, samples)
    norms = b['normal'].norm(dim=1)
    torch.testing.assert_close(norms, torch.ones_like(norms))
    for task in ('sr', 'normal'):
        torch.testing.assert_close(a[task], b[task], atol=1e-5, rtol=1e-5)


def test_tiled_inference_batches_of_tiles_keep_every_field():
    """Overlapping tiles (9 per image) through the network one at a time,
    four at a time and all at once: the same depth (per-tile
    de-normalised), logits and unit normals."""
    torch.manual_seed(0)
    cfg = dict(
        type='MultiTaskEncoderDecoder',
        scale_factor=4,
        backbone=dict(ENC, in_channels=3),
        lr_encoder=dict(ENC, in_channels=1),
        neck=dict(type='ConcatFusionNeck', out_channels=(4, 4, 8, 8)),
        decoders=dict(sr=DEC, seg=DEC, normal=DEC),
        heads=dict(
            sr=dict(type='SRHead'),
            seg=dict(type='SegHead', num_classes=3),
            normal=dict(type='NormalHead'),
        ),
        feature_strides=(2, 4, 8, 16),
        size_divisor=16,
    )
    test_cfg = dict(
        mode='slide',
        patch_size=(16, 32),
        stride=(8, 8),
        normalize='max',
        blend='linear',
        margin=2,
    )
    models = {
        size: MODELS.build(
            dict(cfg, test_cfg=dict(test_cfg, tile_batch_size=size))
        ).eval()
        for size in (1, 4, None)
    }
    for model in models.values():
        model.load_state_dict(models[1].state_dict())
    img, samples = _samples()
    with torch.no_grad():
        outs = {k: m.inference(img, samples) for k, m in models.items()}
    ref = outs[1]
    assert ref['seg'].shape == (2, 3, 32, 48)
    norms = ref['normal'].norm(dim=1)
    torch.testing.assert_close(norms, torch.ones_like(norms))
    for size in (4, None):
        for task in ('sr', 'seg', 'normal'):
            torch.testing.assert_close(
                outs[size][task], ref[task], atol=1e-5, rtol=1e-5
            )
    with pytest.raises(ValueError, match='test_cfg.tile_batch_size must be'):
        MODELS.build(dict(cfg, test_cfg=dict(test_cfg, tile_batch_size=0)))
