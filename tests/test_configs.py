"""Every config in configs/ loads, builds its model and steps once."""

import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.model import BaseModule
from mmengine.structures import PixelData

from mmdepthsr.registry import MODELS
from mmdepthsr.structures import DenseDataSample

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(
    p
    for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p
)


def _input_size(model):
    """The network input size a model needs (fixed-size fc models tell it),
    else a small default."""
    return tuple(getattr(model, 'input_size', (64, 64)))


def _tiny_batch(size, num_classes=8, scale_factor=None):
    """Two samples with every ground truth; DSR models (``scale_factor``)
    also get an LR depth (the HR depth average-pooled by ``s``)."""
    h, w = size
    gen = torch.Generator().manual_seed(0)
    inputs = [
        torch.randint(0, 256, (3, h, w), generator=gen, dtype=torch.uint8)
        for _ in range(2)
    ]
    samples = []
    for _ in range(2):
        sample = DenseDataSample(
            metainfo=dict(
                img_shape=(h, w),
                ori_shape=(h, w),
                cam_intrinsics=[100.0, 100.0, w / 2, h / 2],
                img_path='tiny.png',
            )
        )
        depth = torch.rand(1, h, w, generator=gen) * 5 + 0.5
        sample.gt_depth = PixelData(data=depth)
        sample.gt_sem_seg = PixelData(
            data=torch.randint(0, num_classes, (1, h, w), generator=gen)
        )
        normal = torch.randn(3, h, w, generator=gen)
        sample.gt_normal = PixelData(data=normal / normal.norm(dim=0))
        if scale_factor:
            lr = torch.nn.functional.avg_pool2d(depth[None], scale_factor)
            sample.lr_depth = PixelData(data=lr[0])
            sample.set_metainfo(dict(scale_factor=scale_factor))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def _model_batch(model, training):
    batch = _tiny_batch(
        _input_size(model),
        num_classes=getattr(model, 'num_classes', None) or 8,
        scale_factor=getattr(model, 'scale_factor', None),
    )
    label_key = getattr(model, 'label_key', None)
    if label_key is not None:  # scene classifiers: an int scene label
        for sample in batch['data_samples']:
            sample.set_metainfo({label_key: 1})
    return model.data_preprocessor(batch, training)


def _init_weights_reaching_all(model):
    """``model.init_weights()`` as the runner calls it; returns the
    sub-modules (``BaseModule``) whose ``init_weights`` it never reached,
    e.g. heads kept in a plain ``nn.ModuleDict`` (MMEngine only recurses
    into children that have ``init_weights``: use
    ``mmengine.model.ModuleDict`` / ``ModuleList``). Modules inside a loss
    are left out: a loss may hold a frozen encoder loaded at construction,
    which its parent's init must not touch."""
    reached = set()
    for module in model.modules():
        if isinstance(module, BaseModule):

            def tracked(orig=module.init_weights, key=id(module)):
                reached.add(key)
                return orig()

            module.init_weights = tracked
    model.init_weights()
    return [
        f'{name} ({type(module).__name__})'
        for name, module in model.named_modules()
        if isinstance(module, BaseModule)
        and name
        and id(module) not in reached
        and 'loss' not in name
    ]


def test_configs_exist():
    assert osp.isfile(
        osp.join(ROOT, 'configs', '_base_', 'default_runtime.py')
    )
    assert CONFIGS, 'no config found under configs/'


@pytest.mark.parametrize(
    'config', CONFIGS, ids=[osp.relpath(p, ROOT) for p in CONFIGS]
)
def test_config_builds_and_steps(config):
    cfg = Config.fromfile(config)
    assert cfg.default_scope == 'mmdepthsr'
    for key in (
        'model',
        'train_dataloader',
        'val_dataloader',
        'test_dataloader',
        'optim_wrapper',
        'train_cfg',
    ):
        assert key in cfg, f'{config} has no `{key}`'
    missed = _init_weights_reaching_all(MODELS.build(cfg.model))
    assert not missed, f'init_weights() never reaches {missed}'
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.train()
    if any(p.requires_grad for p in model.parameters()):
        losses = model(**_model_batch(model, True), mode='loss')
        # As train_step: a model with a loss balancer weighs the tasks here.
        total, _ = model.parse_losses(losses)
        assert torch.isfinite(total)
        total.backward()
        grads = [p.grad for p in model.parameters() if p.requires_grad]
        assert all(g is not None for g in grads)
        assert any(g.abs().sum() > 0 for g in grads)
    model.eval()
    with torch.no_grad():
        results = model(**_model_batch(model, False), mode='predict')
    fields = ('pred_depth', 'pred_sr_depth', 'pred_sem_seg', 'pred_normal')
    for result in results:
        if 'pred_scene_label' in result.metainfo:
            assert 0 <= result.pred_scene_label < model.num_classes
            continue
        preds = {f: result.get(f).data for f in fields if f in result}
        assert preds, f'{config}: predict wrote none of {fields}'
        for field, pred in preds.items():
            assert pred.shape[-2:] == result.gt_depth.data.shape[-2:], field
            assert torch.isfinite(pred.float()).all(), field
        if 'pred_depth' in preds and not hasattr(model, 'scale_factor'):
            assert (preds['pred_depth'] > 0).all()


def test_minmax_patch_pipeline_takes_constant_patches():
    """A training patch with a constant LR depth (a flat wall after 8-bit
    disparity quantisation) gets the tile rule, max = min + 1, instead of
    stopping the run."""
    from mmdepthsr.registry import TRANSFORMS
    from mmdepthsr.utils import register_all_modules

    register_all_modules()
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', '_base_', 'datasets', 'synthrooms_dsr_x8.py')
    )
    step = TRANSFORMS.build(cfg.minmax_patch_pipeline[0])
    lr = np.full((8, 8), 0.8, np.float32)
    gt = np.full((64, 64), 0.8, np.float32)
    out = step(dict(lr_depth=lr, gt_depth=gt, img_path='x.png'))
    np.testing.assert_array_equal(out['lr_depth'], np.zeros((8, 8)))
    assert (out['depth_norm_min'], out['depth_norm_max']) == pytest.approx(
        (0.8, 1.8)
    )


REAL_SET_CONFIGS = [p for p in CONFIGS if '_test-' in osp.basename(p)]


@pytest.mark.parametrize(
    'config',
    REAL_SET_CONFIGS,
    ids=[osp.basename(p) for p in REAL_SET_CONFIGS],
)
def test_real_set_config_tests_its_recipe_at_its_scale(config):
    """A `<recipe>_test-<set>.py` config keeps the recipe's model (its
    tiling and normalisation rule) and tests the set its name says under
    the protocol at the model's own scale factor."""
    stem, subset = osp.splitext(config)[0].rsplit('_test-', 1)
    cfg = Config.fromfile(config)
    recipe = Config.fromfile(stem + '.py')
    assert cfg.model.to_dict() == recipe.model.to_dict()
    dataset = cfg.test_dataloader.dataset
    assert (dataset.type, dataset.subset) == ('DSRBenchmarkDataset', subset)
    steps = {step.type: step for step in dataset.pipeline}
    scale = cfg.model.scale_factor
    assert steps['GenerateLRDepth'].scale_factor == scale
    assert steps['GenerateLRDepth'].method == 'bicubic_pil'
    assert steps['CropToMultiple'].divisor == scale
    unit = 'cm' if subset == 'rgbdd' else 'raw'
    assert (cfg.test_evaluator.type, cfg.test_evaluator.unit) == (
        'SRMetric',
        unit,
    )
