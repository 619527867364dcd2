"""EigenCoarseFine: layer table, parameters, stages, loss grid, predict,
per-layer optimiser settings and the eigen2014 configs."""

import glob
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.structures import PixelData

from mmdepthsr.registry import MODELS
from mmdepthsr.structures import DenseDataSample

ROOT = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
)
CFG_DIR = osp.join(ROOT, 'configs')
LOG_SCALE = 0.45723134


def _model_cfg(dataset='nyu', **kwargs):
    cfg = Config.fromfile(
        osp.join(CFG_DIR, '_base_', 'models', f'eigen2014_{dataset}.py')
    )
    cfg.model.update(kwargs)
    return cfg.model


def _build(dataset='nyu', **kwargs):
    torch.manual_seed(0)
    return MODELS.build(_model_cfg(dataset, **kwargs))


def _num_params(*modules):
    return sum(p.numel() for m in modules for p in m.parameters())


def _samples(n, size, gt_size=None, seed=0):
    gen = torch.Generator().manual_seed(seed)
    h, w = gt_size or size
    samples = []
    for i in range(n):
        sample = DenseDataSample(
            metainfo=dict(
                img_shape=size, ori_shape=(h, w), img_path=f'img{i}.png'
            )
        )
        sample.gt_depth = PixelData(
            data=torch.rand(1, h, w, generator=gen) * 5 + 0.5
        )
        samples.append(sample)
    return samples


def _batch(model, n=2, size=(228, 304), gt_size=None, training=True):
    gen = torch.Generator().manual_seed(1)
    inputs = [
        torch.randint(0, 256, (3, *size), generator=gen, dtype=torch.uint8)
        for _ in range(n)
    ]
    data = dict(inputs=inputs, data_samples=_samples(n, size, gt_size))
    return model.data_preprocessor(data, training)


def test_nyu_layer_table_and_params():
    model = _build().eval()
    seen = {}
    model.coarse_head.fc6.register_forward_hook(
        lambda m, i, o: seen.update(flat=i[0].shape[1], fc6=o.shape[1])
    )
    out = model(torch.randn(1, 3, 228, 304), mode='tensor')
    assert seen == dict(flat=12288, fc6=4096)
    assert out.shape == (1, 1, 55, 74)
    assert _num_params(model.backbone, model.coarse_head) == 70_757_734
    assert _num_params(model.coarse_head.fc6) == 50_335_744
    assert _num_params(model.fine_head) == 119_681


def test_kitti_layer_table_and_params():
    model = _build('kitti', stage='fine').eval()
    seen = {}
    model.coarse_head.fc6.register_forward_hook(
        lambda m, i, o: seen.update(flat=i[0].shape[1])
    )
    model.fine_head.register_forward_hook(
        lambda m, i, o: seen.update(fine_in=tuple(i[0].shape[2:]))
    )
    out = model(torch.randn(1, 3, 172, 576), mode='tensor')
    assert seen == dict(flat=17408, fine_in=(116, 576))
    assert out.shape == (1, 1, 27, 142)  # 3834 outputs
    assert _num_params(model.backbone, model.coarse_head) == 90_762_362
    assert model.pred_region((172, 576), (27, 142)) == (60, 4, 108, 568)


def test_pred_region_nyu_and_fine_input():
    model = _build()
    assert model.pred_region((228, 304), (55, 74)) == (4, 4, 220, 296)
    # preprocessor gives x - 128; the fine stack wants (x - 109.314) / 76.183
    x = torch.rand(1, 3, 228, 304) * 255
    torch.testing.assert_close(
        model._fine_input(x - 128), (x - 109.314) / 76.183
    )


def _reference_fine_input(model, inputs):
    """The fine-stack input as the model computed it before the
    preprocessor had ``renormalize``."""
    pre = model.data_preprocessor
    return (inputs * pre.std + pre.mean - model.fine_mean) / model.fine_std


def test_fine_stage_output_equals_reference_normalisation():
    model = _build(stage='fine').eval()
    data = _batch(model, n=1)
    inputs = data['inputs']
    with torch.no_grad():
        out = model(inputs, mode='tensor')
        coarse = model.extract_coarse(inputs)
        ref = model.fine_head(_reference_fine_input(model, inputs), coarse)
    assert torch.equal(
        model._fine_input(inputs), _reference_fine_input(model, inputs)
    )
    assert torch.equal(out, ref)


def test_gt_on_pred_grid_nearest():
    model = _build()
    rows = torch.arange(228.0).view(-1, 1)
    cols = torch.arange(304.0).view(1, -1)
    gt = (1000 * rows + cols + 1).expand(2, 1, 228, 304).clone()
    gt[0, 0, 5, 9] = 0  # invalid pixel at output (0, 1) of image 0
    target = model.gt_on_pred_grid(gt, (55, 74))
    assert target.shape == (2, 1, 55, 74)
    # output (i, j) samples input pixel (4 i + 5, 4 j + 5)
    assert target[1, 0, 0, 0] == 1000 * 5 + 5 + 1
    assert target[1, 0, 54, 73] == 1000 * 221 + 297 + 1
    assert target[0, 0, 0, 1] == 0


def test_gt_on_pred_grid_block_mean():
    model = _build('kitti')
    gt = torch.zeros(1, 1, 172, 576)
    gt[0, 0, 60, 4] = 2.0  # block (0, 0): two valid depths, mean 3
    gt[0, 0, 63, 7] = 4.0
    gt[0, 0, 64, 8] = 5.0  # block (1, 1): one valid depth
    gt[0, 0, 59, 4] = 9.0  # above the predicted region: ignored
    target = model.gt_on_pred_grid(gt, (27, 142))
    assert target.shape == (1, 1, 27, 142)
    assert target[0, 0, 0, 0] == 3.0 and target[0, 0, 1, 1] == 5.0
    assert torch.count_nonzero(target) == 2


def test_loss_end_to_end_coarse_stage():
    model = _build()
    model.init_weights()
    data = _batch(model)
    # value: the scale-invariant loss of the 55 x 74 prediction against the
    # ground truth sampled at input pixels (4 i + 5, 4 j + 5), in eval mode
    # (no dropout) so that it can be recomputed
    model.eval()
    loss = model(**data, mode='loss')['loss_depth_coarse']
    pred = model(data['inputs'], mode='tensor')
    gt = torch.stack([s.gt_depth.data for s in data['data_samples']])
    d = pred - torch.log(gt[..., 5:224:4, 5:300:4]) / LOG_SCALE
    n = 55 * 74
    expected = (
        n * (d**2).sum((1, 2, 3)) - 0.5 * d.sum((1, 2, 3)) ** 2
    ).sum() / (2 * n**2)
    torch.testing.assert_close(loss, expected)
    # training: gradients reach the whole coarse network, not the fine head
    model.train()
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_depth_coarse'}
    losses['loss_depth_coarse'].backward()
    for name, p in model.named_parameters():
        if name.startswith('fine_head'):
            assert not p.requires_grad and p.grad is None, name
        else:
            assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_fine_stage_freezes_coarse():
    model = _build(stage='fine')
    model.train()
    assert not model.backbone.training and not model.coarse_head.training
    assert model.fine_head.training
    coarse = {
        n: p.detach().clone()
        for n, p in model.named_parameters()
        if not n.startswith('fine_head')
    }
    losses = model(**_batch(model), mode='loss')
    assert set(losses) == {'loss_depth_fine'}
    losses['loss_depth_fine'].backward()
    for name, p in model.named_parameters():
        if name.startswith('fine_head'):
            assert p.requires_grad and p.grad is not None
            if name != 'fine_head.fine3.bias':
                assert p.grad.abs().sum() > 0, name
        else:
            assert not p.requires_grad and p.grad is None, name
    # the coarse prediction is deterministic (dropout off) in training
    x = torch.randn(1, 3, 228, 304)
    torch.testing.assert_close(
        model.extract_coarse(x), model.extract_coarse(x)
    )
    opt = torch.optim.SGD(
        [p for p in model.parameters() if p.requires_grad],
        lr=1.0,
        momentum=0.9,
    )
    opt.step()
    for name, p in model.named_parameters():
        if name in coarse:
            assert torch.equal(p, coarse[name])


def test_set_stage_switches_frozen_parts():
    model = _build(stage='fine').train()
    model.set_stage('coarse')
    assert model.stage == 'coarse'
    assert model.backbone.training and not model.fine_head.training
    for name, p in model.named_parameters():
        assert p.requires_grad != name.startswith('fine_head'), name
    model.set_stage('fine')
    assert not model.backbone.training and model.fine_head.training
    for name, p in model.named_parameters():
        assert p.requires_grad == name.startswith('fine_head'), name
    with pytest.raises(ValueError, match='needs a `fine_head`'):
        _build(fine_head=None).set_stage('fine')


def test_fine_stage_needs_fine_head():
    with pytest.raises(ValueError, match='fine_head'):
        _build(stage='fine', fine_head=None)


def test_predict_metres_on_gt_grid():
    model = _build().eval()
    with torch.no_grad():
        model.coarse_head.fc7.weight.zero_()
        model.coarse_head.fc7.bias.fill_(2.0)
        data = _batch(model, gt_size=(480, 640), training=False)
        results = model(**data, mode='predict')
    for result in results:
        pred = result.pred_depth.data
        assert pred.shape == result.gt_depth.data.shape == (1, 480, 640)
        torch.testing.assert_close(
            pred, torch.full_like(pred, math.exp(2.0 * LOG_SCALE))
        )


def test_predict_places_region_and_replicates_border():
    model = _build().eval()
    pred = torch.arange(55 * 74.0).view(1, 1, 55, 74) / 4070
    model._forward = lambda inputs, data_samples=None: pred
    samples = model.predict(torch.zeros(1, 3, 228, 304))
    depth = samples[0].pred_depth.data[0]
    assert depth.shape == (228, 304)  # no GT: ori_shape = input size
    up = torch.nn.functional.interpolate(
        pred, size=(220, 296), mode='bilinear'
    )
    torch.testing.assert_close(
        depth[4:224, 4:300], torch.exp(up[0, 0] * LOG_SCALE)
    )
    torch.testing.assert_close(
        depth[:4, 4:300], depth[4:5, 4:300].expand(4, -1)
    )
    torch.testing.assert_close(depth[:, 300:], depth[:, 299:300].expand(-1, 4))


def test_errors_name_the_problem():
    model = _build()
    with pytest.raises(ValueError, match=r'\(228, 304\)'):
        model(torch.zeros(1, 3, 224, 288), mode='tensor')
    data = _batch(model)
    for sample in data['data_samples']:
        sample.gt_depth.data.zero_()
    with pytest.raises(ValueError, match='img0.png'):
        model(**data, mode='loss')
    with pytest.raises(ValueError, match='log_space_scale'):
        _build(loss=dict(type='ScaleInvariantLogLoss', log_space_scale=1.0))


def _groups(config):
    cfg = Config.fromfile(osp.join(CFG_DIR, 'eigen2014', config))
    model = MODELS.build(cfg.model)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    names = {id(p): n for n, p in model.named_parameters()}
    return {
        names[id(g['params'][0])]: (g['lr'], g['weight_decay'])
        for g in wrapper.optimizer.param_groups
    }


def test_paramwise_lr_and_weight_decay():
    """Per-layer LR factors and weight decay of the release (note 1.5)."""
    coarse = _groups('eigen2014-coarse_alexnet_1xb32-62.5k_nyu-228x304.py')
    expected = {}
    for i in range(1, 6):
        expected[f'backbone.conv{i}.weight'] = (0.001, 5e-4)
        expected[f'backbone.conv{i}.bias'] = (0.001, 0.0)
    for name in ('fc6', 'fc7'):
        expected[f'coarse_head.{name}.weight'] = (0.1, 1e-4)
        expected[f'coarse_head.{name}.bias'] = (0.1, 0.0)
    assert set(coarse) == set(expected)  # the frozen fine head is left out
    for name, (lr, wd) in expected.items():
        assert coarse[name] == (pytest.approx(lr), pytest.approx(wd)), name

    fine = _groups('eigen2014-fine_alexnet_1xb32-47k_nyu-228x304.py')
    expected = {}
    for name, lr in (('fine1', 0.001), ('fine2', 0.01), ('fine3', 0.001)):
        expected[f'fine_head.{name}.weight'] = (lr, 1e-4)
        expected[f'fine_head.{name}.bias'] = (lr, 0.0)
    assert set(fine) == set(expected)  # the frozen coarse net is left out
    for name, (lr, wd) in expected.items():
        assert fine[name] == (pytest.approx(lr), pytest.approx(wd)), name


EIGEN_CONFIGS = sorted(glob.glob(osp.join(CFG_DIR, 'eigen2014', '*.py')))


@pytest.mark.parametrize(
    'path', EIGEN_CONFIGS, ids=[osp.basename(p) for p in EIGEN_CONFIGS]
)
def test_config_matches_its_name(path):
    """Stage, input size and the stage-2 `load_from` follow the file name."""
    name = osp.splitext(osp.basename(path))[0]
    cfg = Config.fromfile(path)
    method, _, schedule, data = name.split('_')
    stage = method.split('-')[1]
    size = tuple(int(v) for v in data.split('-')[-1].split('x'))
    if stage == 'staged':
        # both stages in one run; built in the final stage for testing
        hook = [h for h in cfg.custom_hooks if h.type == 'StagedTrainingHook']
        stages = hook[0].stages
        assert [s['model_stage'] for s in stages] == ['coarse', 'fine']
        assert cfg.optim_wrapper.constructor == 'StagedOptimWrapperConstructor'
        assert stages[1]['begin'] == 150 and cfg.load_from is None
    assert cfg.model.stage == ('fine' if stage == 'staged' else stage)
    assert tuple(cfg.model.input_size) == size
    assert cfg.train_cfg.type == 'IterBasedTrainLoop'
    iters = schedule.split('-')[1]
    if iters.endswith('k'):
        assert cfg.train_cfg.max_iters == int(float(iters[:-1]) * 1000)
    else:
        assert cfg.train_cfg.max_iters == int(iters.removesuffix('it'))
    if stage == 'fine':
        coarse_name = name.replace('-fine_', '-coarse_')
        coarse_path = [
            p
            for p in EIGEN_CONFIGS
            if osp.basename(p).startswith(coarse_name.split('_1xb')[0])
            and p.endswith(data + '.py')
        ]
        assert len(coarse_path) == 1
        coarse = Config.fromfile(coarse_path[0])
        coarse_name = osp.splitext(osp.basename(coarse_path[0]))[0]
        assert cfg.load_from == (
            f'work_dirs/{coarse_name}/iter_{coarse.train_cfg.max_iters}.pth'
        )
