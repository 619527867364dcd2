"""SOSDNet: shapes at every step, loss keys, where the gradients go,
predictions at the input size and the parameter count of the task part.

The Xception-65 backbone, the ASPP neck and the DeepLabv3+ decoder are
replaced by tiny stand-ins with the same interfaces, registered under
test-only names."""

import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from torch import nn

from mmdepthsr.registry import MODELS
from mmdepthsr.structures import DenseDataSample
from mmdepthsr.utils import register_all_modules

register_all_modules()


@MODELS.register_module(name='_SOSDTinyBackbone', force=True)
class _SOSDTinyBackbone(nn.Module):
    """``(low_level at stride 4, top at stride 16)``, as Xception65."""

    def __init__(self, low_channels=8, top_channels=16):
        super().__init__()
        self.low = nn.Conv2d(3, low_channels, 4, stride=4)
        self.top = nn.Conv2d(low_channels, top_channels, 4, stride=4)
        self.out_channels = (low_channels, top_channels)
        self.out_strides = (4, 16)

    def forward(self, x):
        low = self.low(x)
        return low, self.top(low)


@MODELS.register_module(name='_SOSDTinyASPP', force=True)
class _SOSDTinyASPP(nn.Module):
    """``(low_level, aspp)``, as the ASPP neck."""

    def __init__(self, in_channels, channels=8):
        super().__init__()
        self.proj = nn.Conv2d(in_channels[-1], channels, 1)
        self.out_channels = (in_channels[0], channels)

    def forward(self, inputs):
        return inputs[0], self.proj(inputs[-1])


@MODELS.register_module(name='_SOSDTinyDecoder', force=True)
class _SOSDTinyDecoder(nn.Module):
    """``[common]`` at stride 4, as DeepLabV3PlusDecoder (no
    ``out_channels``, only the decoder interface)."""

    num_stages = 1

    def __init__(self, in_channels, channels=8):
        super().__init__()
        self.conv = nn.Conv2d(sum(in_channels), channels, 3, padding=1)
        self.channels, self.scales = (channels,), (4,)

    def forward(self, inputs):
        low, aspp = inputs
        up = F.interpolate(aspp, size=low.shape[-2:], mode='bilinear')
        return [self.conv(torch.cat([low, up], 1))]


SIZE = (64, 96)


def _model(widths=8, **kwargs):
    cfg = dict(
        type='SOSDNet',
        num_classes=5,
        backbone=dict(
            type='_SOSDTinyBackbone',
            low_channels=widths,
            top_channels=2 * widths,
        ),
        aspp=dict(type='_SOSDTinyASPP', channels=widths),
        common_decoder=dict(type='_SOSDTinyDecoder', channels=widths),
        branch_channels=12,
        refine_channels=6,
        task_channels=4,
        d2s_mid_channels=(6, 3),
    )
    cfg.update(kwargs)
    torch.manual_seed(0)
    return MODELS.build(cfg)


def _samples(n=2, num_classes=5, seed=0):
    gen = torch.Generator().manual_seed(seed)
    samples = []
    for _ in range(n):
        meta = dict(img_shape=SIZE, ori_shape=SIZE, batch_input_shape=SIZE)
        sample = DenseDataSample(metainfo=meta)
        gt = 0.5 + 9 * torch.rand(1, *SIZE, generator=gen)
        gt[:, :4] = 0  # invalid pixels
        sample.gt_depth = PixelData(data=gt)
        seg = torch.randint(0, num_classes, (1, *SIZE), generator=gen)
        seg[:, -4:] = 255
        sample.gt_sem_seg = PixelData(data=seg)
        samples.append(sample)
    return torch.rand(n, 3, *SIZE, generator=gen), samples


def _num_params(module):
    return sum(p.numel() for p in module.parameters())


def test_composition_and_shapes_at_every_step():
    model = _model().eval()
    assert [type(n).__name__ for n in model.neck.necks] == [
        '_SOSDTinyASPP',
        '_SOSDTinyDecoder',
    ]
    assert model.neck.out_channels == (8, 8, 8)
    assert sorted(model.interactions) == ['depth_to_sem', 'sem_to_depth']
    s2d = model.interactions['sem_to_depth']['s4']
    d2s = model.interactions['depth_to_sem']['s4']
    assert s2d.context_channels == 8 and d2s.context_channels == 8
    assert s2d.fuse is None and d2s.fuse is None
    assert len(model.decoders['seg'].convs) == 1
    assert len(model.decoders['depth'].convs) == 2
    # heads read [F_d, objectness] and [F_s, D2S cue]
    assert model.heads['depth'].in_channels == (12 + 1,)
    assert model.heads['seg'].in_channels == (12 + 3,)

    img, _ = _samples()
    with torch.no_grad():
        sources = model.extract_feat(img)
        assert [tuple(m.shape) for m in sources['backbone']] == [
            (2, 8, 16, 24),
            (2, 16, 4, 6),
        ]
        # (fp, aspp, common)
        assert [tuple(m.shape) for m in sources['neck']] == [
            (2, 8, 16, 24),
            (2, 8, 4, 6),
            (2, 8, 16, 24),
        ]
        branch = {
            task: dec(sources['neck'])[0]
            for task, dec in model.decoders.items()
        }
        assert branch['depth'].shape == branch['seg'].shape == (2, 12, 16, 24)
        feats = model.decode(sources)
        assert feats['depth'][0].shape == (2, 13, 16, 24)
        assert feats['seg'][0].shape == (2, 15, 16, 24)
        # S2D: F_d, then sqrt(A B) with A from the common representation
        common = sources['neck'][2]
        torch.testing.assert_close(feats['depth'][0][:, :12], branch['depth'])
        torch.testing.assert_close(
            feats['depth'][0][:, 12:],
            s2d.objectness(branch['depth'], branch['seg'], common),
        )
        # D2S reads F_d as it left its decoder (before S2D)
        torch.testing.assert_close(
            feats['seg'][0],
            d2s(branch['seg'], branch['depth'], context=common),
        )
        preds = model.forward_test(img)
    assert preds['depth'].shape == (2, 1, *SIZE)
    assert preds['seg'].shape == (2, 5, *SIZE)


def test_losses_and_gradients_reach_every_branch():
    model = _model().train()
    img, samples = _samples()
    losses = model.loss(img, samples)
    assert sorted(losses) == ['loss_depth', 'loss_seg']
    assert all(torch.isfinite(v) and v > 0 for v in losses.values())

    def grads(loss):
        model.zero_grad()
        loss.backward(retain_graph=True)
        return {
            name: p.grad is not None and bool(p.grad.abs().sum() > 0)
            for name, p in model.named_parameters()
        }

    total = grads(losses['loss_depth'] + losses['loss_seg'])
    assert all(total.values()), [k for k, v in total.items() if not v]
    depth_only = grads(losses['loss_depth'])
    seg_only = grads(losses['loss_seg'])
    for prefix in ('decoders.depth.', 'interactions.sem_to_depth.'):
        keys = [k for k in total if k.startswith(prefix)]
        assert keys and all(depth_only[k] for k in keys)
    # map B of S2D lies on the semantic features but learns from the
    # depth loss only; the D2S unit only from the semantic loss.
    map_b = [k for k in total if '.map_b.' in k]
    assert map_b and all(depth_only[k] for k in map_b)
    assert not any(seg_only[k] for k in map_b)
    d2s = [k for k in total if k.startswith('interactions.depth_to_sem.')]
    assert not any(depth_only[k] for k in d2s)
    assert all(seg_only[k] for k in d2s)
    # the depth branch also reaches the semantic loss (through D2S)
    assert all(
        seg_only[k] for k in total if k.startswith('decoders.depth.convs')
    )
    assert not any(seg_only[k] for k in total if k.startswith('heads.depth'))


def test_predict_writes_fields_at_the_input_size():
    model = _model().eval()
    img, samples = _samples()
    with torch.no_grad():
        out = model.predict(img, samples)
    for sample in out:
        assert sample.pred_depth.data.shape == (1, *SIZE)
        assert sample.seg_logits.data.shape == (5, *SIZE)
        assert sample.pred_sem_seg.data.shape == (1, *SIZE)
        assert int(sample.pred_sem_seg.data.max()) < 5


def test_task_part_parameter_count_at_the_default_widths():
    """Everything except backbone / ASPP / common decoder, 256-channel fp,
    ASPP and common maps, 19 classes, every other width at its default."""
    model = _model(
        widths=256,
        num_classes=19,
        branch_channels=256,
        refine_channels=48,
        task_channels=48,
        d2s_mid_channels=(64, 32),
    )
    refine = 256 * 48 + 2 * 48  # 1x1, BN
    task_conv = 48 * 48 * 9 + 2 * 48  # 3x3, BN
    first = (48 + 256) * 256 * 9 + 2 * 256  # after the concat
    more = 256 * 256 * 9 + 2 * 256
    assert _num_params(model.decoders['seg']) == refine + task_conv + first
    assert _num_params(model.decoders['seg']) == 734144
    assert _num_params(model.decoders['depth']) == 734144 + more == 1324480
    # S2D maps A and B: 3x3 256->2 (no bias), BN(2), 1x1 2->1.
    s2d = 2 * (256 * 2 * 9 + 4 + 2 + 1)
    assert _num_params(model.interactions['sem_to_depth']) == s2d == 9230
    # D2S: two 64/32 pairs (3x3, biases), 1x1 32->32.
    pair = 256 * 64 * 9 + 64 + 64 * 32 * 9 + 32
    d2s = 2 * pair + 32 * 32 + 32
    assert _num_params(model.interactions['depth_to_sem']) == d2s == 333024
    # the units' last convs are the heads': 3x3 257->1, 3x3 288->19
    assert _num_params(model.heads['depth']) == 257 * 9 + 1 == 2314
    assert _num_params(model.heads['seg']) == 288 * 19 * 9 + 19 == 49267
    task_part = sum(
        _num_params(getattr(model, name))
        for name in ('decoders', 'interactions', 'heads')
    )
    assert task_part == 2452459
    shared = _num_params(model.backbone) + _num_params(model.neck)
    assert _num_params(model) == shared + task_part


def test_reference_reading_of_the_size_priors():
    """``'task'``: S2D map A on F_d, D2S projects F_s (the reference
    notes' reading), no context map."""
    model = _model(s2d_size_prior='task', d2s_size_prior='task')
    s2d = model.interactions['sem_to_depth']['s4']
    d2s = model.interactions['depth_to_sem']['s4']
    assert s2d.context_channels is None and d2s.context_channels is None
    assert s2d.map_a[0].in_channels == 12 and hasattr(d2s, 'sem_proj')
    img, samples = _samples()
    assert sorted(model.loss(img, samples)) == ['loss_depth', 'loss_seg']
    with pytest.raises(ValueError, match='s2d_size_prior must be one of'):
        _model(s2d_size_prior='depth')


def test_single_task_and_unit_free_baselines():
    """The same network for one task alone, or both without S2D / D2S:
    the other branch and the units are left out."""
    full = _model()
    depth_only = _model(tasks=('depth',), units=False, num_classes=None)
    assert depth_only.tasks == ('depth',) and not depth_only.interactions
    assert list(depth_only.decoders) == ['depth']
    img, samples = _samples()
    assert sorted(depth_only.loss(img, samples)) == ['loss_depth']
    # the depth head reads the branch features directly (no S2D concat)
    head = depth_only.heads['depth']
    assert head.in_channels == (depth_only.decoders['depth'].channels[-1],)
    seg_only = _model(tasks=('seg',), units=False)
    assert sorted(seg_only.loss(img, samples)) == ['loss_seg']
    no_units = _model(units=False)
    assert sorted(no_units.loss(img, samples)) == ['loss_depth', 'loss_seg']
    # without units: no units, no common decoder, narrower prediction convs
    units = _num_params(full.interactions)
    common = _num_params(full.neck.necks[1])
    head_growth = sum(
        full.heads[t].pred_convs[0].weight.numel()
        - no_units.heads[t].pred_convs[0].weight.numel()
        for t in ('depth', 'seg')
    )
    assert _num_params(full) - _num_params(no_units) == (
        units + common + head_growth
    )
    assert type(no_units.neck).__name__ == '_SOSDTinyASPP'
    with pytest.raises(ValueError, match='units=False'):
        _model(tasks=('depth',))
    with pytest.raises(ValueError, match='num_classes'):
        _model(tasks=('seg',), units=False, num_classes=None)
    with pytest.raises(ValueError, match='tasks'):
        _model(tasks=('depth', 'normal'), units=False)
