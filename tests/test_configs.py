"""Every config in configs/ loads, builds its model and steps once."""

import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
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


def _tiny_batch(size, num_classes=8):
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
        sample.gt_depth = PixelData(
            data=torch.rand(1, h, w, generator=gen) * 5 + 0.5
        )
        sample.gt_sem_seg = PixelData(
            data=torch.randint(0, num_classes, (1, h, w), generator=gen)
        )
        normal = torch.randn(3, h, w, generator=gen)
        sample.gt_normal = PixelData(data=normal / normal.norm(dim=0))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


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
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.train()
    data = model.data_preprocessor(_tiny_batch(_input_size(model)), True)
    losses = model(**data, mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert grads and all(g is not None for g in grads)
    assert any(g.abs().sum() > 0 for g in grads)
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(_tiny_batch(_input_size(model)), False)
        results = model(**data, mode='predict')
    for result in results:
        pred = result.pred_depth.data
        assert pred.shape == result.gt_depth.data.shape
        assert torch.isfinite(pred).all() and (pred > 0).all()
