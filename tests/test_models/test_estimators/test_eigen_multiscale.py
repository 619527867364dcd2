"""EigenMultiScale: parameter counts of the VGG16 and AlexNet models, output
grids, stages (which parameters get gradients), loss keys and predict."""

from pathlib import Path

import pytest
import torch
from mmengine.structures import PixelData

from mmdepthsr.registry import MODELS
from mmdepthsr.structures import DenseDataSample

LOG_SCALE = 0.45723134
VGG_PREPROCESSOR = dict(
    type='DenseDataPreprocessor',
    mean=[123.68, 116.779, 103.939],
    std=[1.0, 1.0, 1.0],
)
ALEX_PREPROCESSOR = dict(
    type='DenseDataPreprocessor', mean=[128.0] * 3, std=[1.0] * 3
)


def _num_params(*modules):
    return sum(p.numel() for m in modules for p in m.parameters())


@pytest.fixture(scope='module')
def alexnet_model():
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='EigenMultiScale',
            backbone=dict(type='AlexNet'),
            tasks=('depth', 'normal'),
            data_preprocessor=ALEX_PREPROCESSOR,
        )
    )


def _samples(n, size=(228, 304), seg=False, seed=0):
    gen = torch.Generator().manual_seed(seed)
    samples = []
    for i in range(n):
        sample = DenseDataSample(
            metainfo=dict(img_shape=size, ori_shape=size, img_path=f'{i}.png')
        )
        sample.gt_depth = PixelData(
            data=torch.rand(1, *size, generator=gen) * 5 + 0.5
        )
        normal = torch.randn(3, *size, generator=gen)
        sample.gt_normal = PixelData(
            data=torch.nn.functional.normalize(normal, dim=0)
        )
        if seg:
            sample.gt_sem_seg = PixelData(
                data=torch.randint(0, 4, (1, *size), generator=gen)
            )
        samples.append(sample)
    return samples


def _batch(model, n=2, seg=False):
    gen = torch.Generator().manual_seed(1)
    inputs = [
        torch.randint(0, 256, (3, 228, 304), generator=gen, dtype=torch.uint8)
        for _ in range(n)
    ]
    data = dict(inputs=inputs, data_samples=_samples(n, seg=seg))
    return model.data_preprocessor(data, True)


@pytest.mark.slow
def test_vgg_depth_normals_params_and_grids():
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='EigenMultiScale',
            backbone=dict(type='VGG16', valid_conv1=True, out_indices=(5,)),
            tasks=('depth', 'normal'),
            stage='all',
            data_preprocessor=VGG_PREPROCESSOR,
        )
    ).eval()
    assert model.input_size == (228, 304)
    # VGG16 convs 14,714,688; full1 32256*4096+4096 = 132,124,672; full2
    # 4096*17024+17024 = 69,747,328; conv_s2_1 3*96*81+96 = 23,424;
    # conv_s3_1 3*64*81+64 = 15,616; depth stacks 673,192 (incl. the 4070
    # bias map); normal stacks 675,526.  Sum: 217,974,446 (~218.0 M).
    assert _num_params(model.backbone) == 14_714_688
    assert _num_params(model.decoder.scale1) == 201_872_000
    assert _num_params(model) == 217_974_446
    seen = {}
    model.decoder.scale1.full1.register_forward_hook(
        lambda m, i, o: seen.update(flat=i[0].shape[1])
    )
    with torch.no_grad():
        outs = model.forward_scales(torch.randn(1, 3, 228, 304))
    assert seen == dict(flat=32256)  # 512 x 7 x 9
    assert outs[2]['depth'].shape == (1, 1, 55, 74)
    assert outs[2]['normal'].shape == (1, 3, 55, 74)
    assert outs[3]['depth'].shape == (1, 1, 109, 147)
    assert outs[3]['normal'].shape == (1, 3, 109, 147)


def test_alexnet_params(alexnet_model):
    # AlexNet convs 3,747,200; full1 12288*4096+4096 = 50,335,744; full2
    # 69,747,328; shared 23,424 + 15,616; depth 673,192; normal 675,526.
    # Sum: 125,218,030 (~125.2 M).
    assert _num_params(alexnet_model.backbone) == 3_747_200
    assert _num_params(alexnet_model.decoder.scale1.full1) == 50_335_744
    assert _num_params(alexnet_model) == 125_218_030


def _grad_state(model):
    dec = model.decoder
    return dict(
        backbone=model.backbone.conv1.weight.grad is not None,
        full2=dec.scale1.full2.weight.grad is not None,
        conv_s2_1=dec.conv_s2_1.weight.grad is not None,
        bias=dec.heads.depth.prior_bias.grad is not None,
        normal_s2=dec.heads.normal.conv_s2_5.weight.grad is not None,
        conv_s3_1=dec.conv_s3_1.weight.grad is not None,
        normal_s3=dec.heads.normal.conv_s3_4.weight.grad is not None,
    )


@pytest.mark.parametrize(
    'stage, keys, trained',
    [
        ('scales12', {'loss_depth_s2', 'loss_normal_s2'}, (1, 2)),
        ('scale3', {'loss_depth_s3', 'loss_normal_s3'}, (3,)),
    ],
)
def test_stage_losses_and_gradients(alexnet_model, stage, keys, trained):
    model = alexnet_model
    model.set_stage(stage)
    model.train()
    model.zero_grad(set_to_none=True)
    data = _batch(model)
    losses = model(**data, mode='loss')
    assert set(losses) == keys
    assert all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    grads = _grad_state(model)
    s12 = 1 in trained
    assert grads == dict(
        backbone=s12,
        full2=s12,
        conv_s2_1=s12,
        bias=s12,
        normal_s2=s12,
        conv_s3_1=not s12,
        normal_s3=not s12,
    )
    # frozen scales stay in eval mode (dropout off) while training scale 3
    assert model.decoder.scale1.training == s12
    model.zero_grad(set_to_none=True)
    model.set_stage('scales12')


def test_loss_targets_and_weights(alexnet_model):
    model = alexnet_model
    model.set_stage('scales12')
    model.eval()
    data = _batch(model, n=1)
    with torch.no_grad():
        outs = model.forward_scales(data['inputs'])
        losses = model.loss(**data)
    gt = data['data_samples'][0]
    # targets at receptive-field centres 4 j + 5
    target_n = gt.gt_normal.data[:, 5::4, 5::4][None, :, :55, :74]
    pred_n = outs[2]['normal']
    cos = (torch.nn.functional.normalize(pred_n, dim=1) * target_n).sum(1)
    torch.testing.assert_close(losses['loss_normal_s2'], -10 * cos.mean())
    gt_depth = gt.gt_depth.data[:, 5::4, 5::4][:, :55, :74]
    d = outs[2]['depth'] - torch.log(gt_depth) / LOG_SCALE
    si = (d**2).mean() - 0.5 * d.mean() ** 2
    gx = (d[..., 1:] - d[..., :-1]).pow(2).mean()
    gy = (d[..., 1:, :] - d[..., :-1, :]).pow(2).mean()
    torch.testing.assert_close(losses['loss_depth_s2'], si + gx + gy)


def test_outputs_equal_reference_normalisation(alexnet_model, monkeypatch):
    """Scales 2-3 see ``(pixels - fine_mean) / fine_std`` as before the
    preprocessor had ``renormalize``: same outputs, bit for bit."""
    model = alexnet_model
    model.set_stage('scale3')
    model.eval()
    inputs = _batch(model, n=1)['inputs']
    pre = model.data_preprocessor
    reference = (
        inputs * pre.std + pre.mean - model.fine_mean
    ) / model.fine_std
    assert torch.equal(model._fine_input(inputs), reference)
    with torch.no_grad():
        out = model.forward_scales(inputs)
        monkeypatch.setattr(model, '_fine_input', lambda x: reference)
        ref = model.forward_scales(inputs)
    model.set_stage('scales12')
    for scale in ref:
        for task in ref[scale]:
            assert torch.equal(out[scale][task], ref[scale][task])


def test_predict_outputs(alexnet_model):
    model = alexnet_model
    model.set_stage('scale3')
    model.eval()
    data = _batch(model, n=1)
    with torch.no_grad():
        log_depth = model(data['inputs'], mode='tensor')['depth']
        (sample,) = model(**data, mode='predict')
    assert log_depth.shape == (1, 1, 109, 147)
    assert sample.pred_depth.shape == (228, 304)
    assert sample.pred_normal.data.shape == (3, 228, 304)
    torch.testing.assert_close(
        sample.pred_normal.data.norm(dim=0), torch.ones(228, 304)
    )
    # metres = exp(log output x 0.457) at an output's centre (row/col 2j+5)
    torch.testing.assert_close(
        sample.pred_depth.data[0, 2 * 50 + 5, 2 * 60 + 5],
        torch.exp(log_depth[0, 0, 50, 60] * LOG_SCALE),
        rtol=0.05,
        atol=0.0,
    )
    model.set_stage('scales12')


def test_seg_task_and_errors():
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='EigenMultiScale',
            backbone=dict(type='AlexNet'),
            tasks=('seg',),
            num_classes=4,
            decoder=dict(scale1=dict(in_channels=256, in_size=(6, 8))),
            data_preprocessor=ALEX_PREPROCESSOR,
        )
    )
    data = _batch(model, n=1, seg=True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_seg_s2'}
    assert torch.isfinite(losses['loss_seg_s2'])
    model.eval()
    with torch.no_grad():
        (sample,) = model(**data, mode='predict')
    assert sample.seg_logits.data.shape == (4, 228, 304)
    assert sample.pred_sem_seg.data.shape == (1, 228, 304)
    assert sample.pred_sem_seg.data.max() < 4
    with pytest.raises(ValueError, match='num_classes'):
        MODELS.build(
            dict(
                type='EigenMultiScale',
                backbone=dict(type='AlexNet'),
                tasks=('seg',),
            )
        )
    with pytest.raises(ValueError, match='228, 304'):
        model(torch.zeros(1, 3, 240, 320), mode='tensor')


class _Recorder(torch.nn.Module):
    """A loss that records its target and returns the mean prediction."""

    def forward(self, pred, target):
        self.pred, self.target = pred, target
        return pred.mean()


def test_scale3_trains_on_random_crops(alexnet_model):
    model = alexnet_model
    model.set_stage('scale3')
    model.train()
    recorder = _Recorder()
    head = model.heads['normal']
    original = head.loss_decode
    data = _batch(model, n=1)
    torch.manual_seed(3)
    expected = model._draw_scale3_crop((228, 304))
    top, left, h, w = expected
    assert (h, w) == (55, 74) and 0 <= top < 54 and 0 <= left < 73
    torch.manual_seed(3)
    head.loss_decode = recorder
    try:
        model.loss(**data)
    finally:
        head.loss_decode = original
    assert recorder.pred.shape[-2:] == (55, 74)
    # output (i, j) of the crop is centred on input 2 (top + i) + 5
    gt = data['data_samples'][0].gt_normal.data
    target = gt[:, 2 * top + 5 :: 2, 2 * left + 5 :: 2][None, :, :55, :74]
    torch.testing.assert_close(recorder.target, target)
    # different batches see different crops
    seen = {model._draw_scale3_crop((228, 304)) for _ in range(20)}
    assert len(seen) > 1
    # the other stages and scale3_crop=None use the whole grid
    model.set_stage('all')
    assert model._draw_scale3_crop((228, 304)) is None
    model.set_stage('scales12')


REFERENCE = (
    Path(__file__).parents[2]
    / 'fixtures'
    / 'legacy_checkpoints'
    / 'eigen2015_alexnet_outputs.pth'
)


def _reference_batch(model):
    """Two samples with invalid depth, zero normals and unlabelled pixels."""
    gen = torch.Generator().manual_seed(0)
    samples = []
    for i in range(2):
        sample = DenseDataSample(
            metainfo=dict(
                img_shape=(228, 304), ori_shape=(228, 304), img_path=f'{i}'
            )
        )
        depth = torch.rand(1, 228, 304, generator=gen) * 5 + 0.5
        depth[:, :40, :60] = 0
        sample.gt_depth = PixelData(data=depth)
        normal = torch.randn(3, 228, 304, generator=gen)
        normal = torch.nn.functional.normalize(normal, dim=0)
        normal[:, 100:140] = 0
        sample.gt_normal = PixelData(data=normal)
        labels = torch.randint(0, 4, (1, 228, 304), generator=gen)
        labels[:, 200:] = 255
        sample.gt_sem_seg = PixelData(data=labels)
        samples.append(sample)
    gen = torch.Generator().manual_seed(1)
    inputs = [
        torch.randint(0, 256, (3, 228, 304), generator=gen, dtype=torch.uint8)
        for _ in range(2)
    ]
    return model.data_preprocessor(
        dict(inputs=inputs, data_samples=samples), True
    )


def test_losses_and_predictions_equal_recorded_reference(
    eigen2015_three_tasks,
):
    """Losses (train mode: dropout and the scale-3 crop drawn from a seeded
    RNG) and predictions of every stage equal those recorded when the
    estimator computed them itself, before the task heads did."""
    reference = torch.load(REFERENCE, weights_only=True)
    model = eigen2015_three_tasks
    assert _num_params(model) == 125_896_758
    close = dict(rtol=1e-5, atol=1e-5)
    for stage in ('scales12', 'scale3', 'all'):
        model.set_stage(stage)
        model.train()
        data = _reference_batch(model)
        torch.manual_seed(7)
        with torch.no_grad():
            losses = model(**data, mode='loss')
        expected = reference[f'{stage}/losses']
        assert list(losses) == list(expected)  # scale 2 first, task order
        for key, value in expected.items():
            torch.testing.assert_close(losses[key], value, **close)
        model.eval()
        with torch.no_grad():
            samples = model(**data, mode='predict')
        for field in ('pred_depth', 'pred_normal', 'seg_logits'):
            full = torch.stack([getattr(s, field).data for s in samples])
            torch.testing.assert_close(
                full[..., ::16, ::16], reference[f'{stage}/{field}'], **close
            )
            torch.testing.assert_close(
                full.double().sum(),
                reference[f'{stage}/{field}/sum'],
                rtol=1e-6,
                atol=1e-3,
            )
        labels = torch.stack([s.pred_sem_seg.data for s in samples])
        assert torch.equal(
            labels[..., ::16, ::16], reference[f'{stage}/pred_sem_seg']
        )
