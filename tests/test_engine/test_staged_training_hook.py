"""StagedTrainingHook: stage switch, frozen parameters, resume, wrappers;
StagedOptimWrapperConstructor keeps frozen parameters in the optimizer."""

import os.path as osp
import uuid
from types import SimpleNamespace

import pytest
import torch
from _engine_toys import EngineToyNet
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.optim import OptimWrapper
from torch import nn

from mmdepthsr.engine import (
    StagedOptimWrapperConstructor,
    StagedTrainingHook,
    matches_prefix,
)
from mmdepthsr.registry import MODEL_WRAPPERS, MODELS, RUNNERS

SWITCH = 2  # first iteration of stage 2
STAGES = [
    dict(begin=0, model_stage='first', frozen=('head',)),
    dict(begin=SWITCH, model_stage='second', frozen=('conv', 'bn')),
]


@MODELS.register_module(force=True)
class StagedToyNet(EngineToyNet):
    """EngineToyNet with a ``stage`` attribute and optional parts frozen
    at build time."""

    def __init__(self, init_frozen=(), **kwargs):
        super().__init__(**kwargs)
        self.stage = 'built'
        for name, p in self.named_parameters():
            if matches_prefix(name, init_frozen):
                p.requires_grad_(False)


@MODEL_WRAPPERS.register_module(force=True)
class StagedToyWrapper(nn.Module):
    """Stands in for a DDP wrapper: the model is ``.module``."""

    def __init__(self, module):
        super().__init__()
        self.module = module


def _trainable(model):
    return {n for n, p in model.named_parameters() if p.requires_grad}


class _Recorder(Hook):
    """Records the model's stage, trainable set and parameters."""

    priority = 'LOWEST'

    def __init__(self):
        self.start = None
        self.iters = []

    @staticmethod
    def _snapshot(runner):
        model = runner.model
        return dict(
            iter=runner.iter,
            stage=model.stage,
            trainable=_trainable(model),
            bn_training=model.bn.training,
            state={k: v.clone() for k, v in model.state_dict().items()},
        )

    def before_train(self, runner):
        self.start = self._snapshot(runner)

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.iters.append(self._snapshot(runner))


def _runner(config, work_dir, max_iters, resume_from=None):
    cfg = Config.fromfile(config)
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'{osp.basename(work_dir)}_{uuid.uuid4().hex}'
    cfg.model.type = 'StagedToyNet'
    cfg.train_cfg.max_iters = max_iters
    cfg.custom_hooks = [
        dict(type='RNGStateHook'),
        dict(type='StagedTrainingHook', stages=STAGES),
    ]
    if resume_from is not None:
        cfg.resume = True
        cfg.load_from = str(resume_from)
    runner = RUNNERS.build(cfg)
    recorder = _Recorder()
    runner.register_hook(recorder)
    return runner, recorder


def _final(runner):
    return {k: v.clone() for k, v in runner.model.state_dict().items()}


CONV = ('conv.weight', 'conv.bias', 'bn.weight', 'bn.bias')
BN_STATS = ('bn.running_mean', 'bn.running_var')
HEAD = ('head.weight', 'head.bias')


def test_stage_switch_and_frozen_parts(toy_config, tmp_path):
    config = toy_config(max_iters=4, interval=4, with_val=False)
    runner, rec = _runner(config, tmp_path / 'run', 4)
    runner.train()
    end = _final(runner)
    snaps = rec.iters
    assert [s['iter'] for s in snaps] == [0, 1, 2, 3]
    assert rec.start['stage'] == 'first'
    assert [s['stage'] for s in snaps] == ['first'] * 2 + ['second'] * 2
    assert snaps[0]['trainable'] == set(CONV)
    assert snaps[SWITCH]['trainable'] == set(HEAD)
    # frozen modules stay in eval mode although the loop calls train()
    assert [s['bn_training'] for s in snaps] == [True, True, False, False]
    first, second = snaps[0]['state'], snaps[SWITCH]['state']
    # stage 1: head fixed, conv/bn trained
    for k in HEAD:
        assert torch.equal(first[k], second[k]), k
    for k in CONV + BN_STATS:
        assert not torch.equal(first[k], second[k]), k
    # stage 2: conv/bn fixed (weights, despite momentum and weight decay,
    # and BatchNorm statistics), head trained
    for k in CONV + BN_STATS:
        assert torch.equal(second[k], end[k]), k
    for k in HEAD:
        assert not torch.equal(second[k], end[k]), k


def test_resume_in_second_stage(toy_config, tmp_path):
    config = toy_config(max_iters=6, interval=3, with_val=False)
    full, _ = _runner(config, tmp_path / 'full', 6)
    full.train()
    part, _ = _runner(config, tmp_path / 'part', 3)
    part.train()
    resumed, rec = _runner(
        config, tmp_path / 'resumed', 6, tmp_path / 'part' / 'iter_3.pth'
    )
    resumed.train()
    assert rec.start['iter'] == 3
    assert rec.start['stage'] == 'second'
    assert rec.start['trainable'] == set(HEAD)
    assert [s['stage'] for s in rec.iters] == ['second'] * 3
    expected, got = _final(full), _final(resumed)
    assert all(torch.equal(expected[k], got[k]) for k in expected)


def _fake_runner(model, iteration=0):
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    return SimpleNamespace(model=model, iter=iteration, optim_wrapper=optim)


def test_wrapped_model_is_unwrapped():
    inner = StagedToyNet()
    runner = _fake_runner(StagedToyWrapper(inner), iteration=SWITCH + 1)
    hook = StagedTrainingHook(STAGES)
    hook.before_train(runner)
    assert inner.stage == 'second'
    assert not hasattr(runner.model, 'stage')
    assert _trainable(inner) == set(HEAD)
    runner.iter = 0  # stage computed from the iteration, not a counter
    hook.before_train_iter(runner, 0)
    assert inner.stage == 'first'


def test_set_stage_preferred_over_attribute():
    calls = []
    model = StagedToyNet()
    model.set_stage = calls.append
    StagedTrainingHook(STAGES).before_train(_fake_runner(model))
    # before_train visits every stage to check the optimizer, then the
    # current one
    assert calls == ['first', 'second', 'first']
    assert model.stage == 'built'


def test_optimizer_must_hold_later_stages():
    model = StagedToyNet(init_frozen=('head',))
    params = [p for p in model.parameters() if p.requires_grad]
    runner = SimpleNamespace(
        model=model,
        iter=0,
        optim_wrapper=OptimWrapper(torch.optim.SGD(params, lr=0.1)),
    )
    with pytest.raises(ValueError, match='StagedOptimWrapperConstructor'):
        StagedTrainingHook(STAGES).before_train(runner)


def test_constructor_keeps_frozen_params_and_multipliers():
    model = StagedToyNet(init_frozen=('head',))
    constructor = StagedOptimWrapperConstructor(
        dict(
            type='OptimWrapper',
            optimizer=dict(type='SGD', lr=0.1, weight_decay=1e-4),
        ),
        paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=0.5)}),
    )
    optim = constructor(model)
    groups = optim.optimizer.param_groups
    lrs = {id(p): g['lr'] for g in groups for p in g['params']}
    assert len(lrs) == len(list(model.parameters()))
    assert lrs[id(model.head.weight)] == pytest.approx(0.05)
    assert lrs[id(model.conv.weight)] == pytest.approx(0.1)
    # requires_grad is restored
    assert not model.head.weight.requires_grad
    assert model.conv.weight.requires_grad


@pytest.mark.parametrize(
    'stages, match',
    [
        ([dict(begin=1)], 'start at 0'),
        ([dict(begin=0), dict(begin=0)], 'increase'),
        ([dict(begin=0, frozen_modules=('a',))], 'unknown keys'),
    ],
)
def test_invalid_stages(stages, match):
    with pytest.raises(ValueError, match=match):
        StagedTrainingHook(stages)


def test_unknown_prefix_and_missing_stage_attribute():
    hook = StagedTrainingHook([dict(begin=0, frozen=('conv1',))])
    with pytest.raises(ValueError, match='"conv1"'):
        hook.before_train(_fake_runner(StagedToyNet()))
    model = EngineToyNet()
    hook = StagedTrainingHook([dict(begin=0, model_stage='x')])
    with pytest.raises(ValueError, match='set_stage'):
        hook.before_train(_fake_runner(model))


def test_matches_prefix():
    assert matches_prefix('coarse_head.fc6.weight', ('coarse_head',))
    assert matches_prefix('coarse_head', ('coarse_head',))
    assert not matches_prefix('coarse_head2.weight', ('coarse_head',))
    assert not matches_prefix('coarse_head.w', ('coarse',))
