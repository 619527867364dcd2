"""configs/_base_/default_runtime.py and the generic schedules."""

import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from torch import nn

from mmdepthsr.engine import validate_config
from mmdepthsr.registry import HOOKS, PARAM_SCHEDULERS, RUNNERS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BASE = osp.join(ROOT, 'configs', '_base_')
SCHEDULES = sorted(glob.glob(osp.join(BASE, 'schedules', 'schedule_*.py')))


def test_default_runtime():
    cfg = Config.fromfile(osp.join(BASE, 'default_runtime.py'))
    assert cfg.default_scope == 'mmdepthsr'
    assert cfg.runner_type == 'DenseRunner'
    assert RUNNERS.get(cfg.runner_type) is not None
    assert cfg.env_cfg.cudnn_benchmark is False
    assert cfg.env_cfg.mp_cfg.mp_start_method == 'fork'
    assert cfg.env_cfg.dist_cfg.backend == 'nccl'
    assert cfg.log_processor.by_epoch is False
    assert (cfg.load_from, cfg.resume, cfg.log_level) == (None, False, 'INFO')
    assert cfg.randomness.seed == 0
    hooks = {k: v.type for k, v in cfg.default_hooks.items()}
    assert hooks == dict(
        timer='IterTimerHook',
        logger='LoggerHook',
        param_scheduler='ParamSchedulerHook',
        checkpoint='CheckpointHook',
        sampler_seed='DistSamplerSeedHook',
    )
    assert cfg.default_hooks.logger.interval == 50
    assert cfg.default_hooks.checkpoint.interval == 1000
    assert cfg.default_hooks.checkpoint.by_epoch is False
    # the 3 newest checkpoints are kept, older ones deleted
    assert cfg.default_hooks.checkpoint.max_keep_ckpts == 3
    assert HOOKS.build(cfg.default_hooks.checkpoint).max_keep_ckpts == 3
    assert [h.type for h in cfg.custom_hooks] == ['RNGStateHook']
    for hook in [*cfg.default_hooks.values(), *cfg.custom_hooks]:
        assert HOOKS.get(hook.type) is not None, hook.type
    validate_config(cfg)


def _lr_after(cfg, steps):
    model = nn.Linear(2, 2)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    schedulers = [
        PARAM_SCHEDULERS.build(
            s, default_args=dict(optimizer=wrapper.optimizer)
        )
        for s in cfg.param_scheduler
    ]
    for _ in range(steps):
        wrapper.optimizer.step()  # no gradients: only keeps the order
        for scheduler in schedulers:
            scheduler.step()
    return wrapper.optimizer.param_groups[0]['lr']


@pytest.mark.parametrize(
    'path', SCHEDULES, ids=[osp.basename(p) for p in SCHEDULES]
)
def test_schedule(path):
    assert len(SCHEDULES) >= 5
    cfg = Config.fromfile(path)
    assert set(cfg) == {
        'optim_wrapper',
        'param_scheduler',
        'train_cfg',
        'val_cfg',
        'test_cfg',
    }, 'schedules must not repeat default_runtime keys (duplicate bases)'
    assert cfg.train_cfg.type == 'IterBasedTrainLoop'
    total = cfg.train_cfg.max_iters
    assert cfg.param_scheduler[-1].end == total
    validate_config(cfg)
    lr0 = cfg.optim_wrapper.optimizer.lr
    name = osp.basename(path)
    if name.startswith('schedule_sgd_poly'):
        # PolyLR: (lr0 - eta_min) * (1 - t / (T - 1)) ** 0.9 + eta_min
        # (MMEngine reaches eta_min at the last iteration, T - 1)
        t = 1000
        expected = (lr0 - 1e-4) * (1 - t / (total - 1)) ** 0.9 + 1e-4
        assert _lr_after(cfg, t) == pytest.approx(expected, rel=1e-6)
    elif name == 'schedule_adamw_poly_40k.py':
        # linear warm-up from 1e-3 * lr0, reaching lr0 at iteration 999
        # (MMEngine's LinearLR divides by end - begin - 1)
        assert _lr_after(cfg, 500) == pytest.approx(
            lr0 * (1e-3 + (1 - 1e-3) * 500 / 999), rel=1e-6
        )
        assert _lr_after(cfg, 999) == pytest.approx(lr0, rel=1e-6)
    elif name == 'schedule_adam_step_40k.py':
        step = cfg.param_scheduler[0]
        assert (step.milestones, step.gamma) == ([10000, 20000, 30000], 0.5)
        # the same schedule 1000x shorter: 1e-4 halved three times
        step.milestones = [10, 20, 30]
        step.end = 40
        assert _lr_after(cfg, 9) == pytest.approx(lr0)
        assert _lr_after(cfg, 35) == pytest.approx(lr0 / 8, rel=1e-9)


def test_schedule_merges_with_runtime(tmp_path):
    """A leaf config can inherit default_runtime + a schedule."""
    path = tmp_path / 'leaf.py'
    path.write_text(
        f'_base_ = [{osp.join(BASE, "default_runtime.py")!r}, '
        f'{SCHEDULES[0]!r}]\n'
        "model = dict(type='EngineToyNet')\n"
        'train_cfg = dict(max_iters=10)\n'
    )
    cfg = Config.fromfile(str(path))
    assert cfg.train_cfg.max_iters == 10
    assert cfg.runner_type == 'DenseRunner'
    validate_config(cfg)
