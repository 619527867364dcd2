"""AlternatingTrainingHook: schedule arithmetic, frozen parameters stay
bit-identical (SGD with momentum and weight decay, Adam), only the active
task's loss reaches the optimizer, shared_update variants, the defaults for
MultiTaskEncoderDecoder, and a resume inside a depth step."""

import os.path as osp
import uuid
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper
from torch import nn

from mmdepthsr.engine import AlternatingPhase, AlternatingTrainingHook
from mmdepthsr.registry import MODEL_WRAPPERS, MODELS, RUNNERS

SHARED = {'backbone.0.weight', 'backbone.0.bias'}
SHARED |= {'backbone.1.weight', 'backbone.1.bias'}
DEPTH = {
    'decoders.depth.weight',
    'decoders.depth.bias',
    'interactions.depth_from_seg.weight',
    'interactions.depth_from_seg.bias',
    'heads.depth.weight',
    'heads.depth.bias',
}
SEG = {'decoders.seg.0.weight', 'decoders.seg.0.bias'}
SEG |= {'decoders.seg.1.weight', 'decoders.seg.1.bias'}
SEG |= {'heads.seg.weight', 'heads.seg.bias'}
SHARED_STATS = {'backbone.1.running_mean', 'backbone.1.running_var'}
SEG_STATS = {'decoders.seg.1.running_mean', 'decoders.seg.1.running_var'}


@MODELS.register_module(force=True)
class AlternatingToyNet(BaseModel):
    """Shared conv-BN, a depth and a segmentation branch laid out like
    MultiTaskEncoderDecoder (``decoders``, ``interactions``, ``heads``);
    the depth branch reads the segmentation features (as SOSD-Net's
    semantic-to-depth unit), so the depth loss reaches the segmentation
    decoder unless it is frozen."""

    tasks = ('depth', 'seg')

    def __init__(self, data_preprocessor=None):
        super().__init__(data_preprocessor=data_preprocessor)
        self.backbone = nn.Sequential(
            nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU()
        )
        self.decoders = nn.ModuleDict(
            dict(
                depth=nn.Conv2d(4, 4, 3, padding=1),
                seg=nn.Sequential(
                    nn.Conv2d(4, 4, 3, padding=1), nn.BatchNorm2d(4)
                ),
            )
        )
        self.interactions = nn.ModuleDict(
            dict(depth_from_seg=nn.Conv2d(4, 4, 1))
        )
        self.interaction_specs = [('depth_from_seg', 'depth', 'seg', (0,))]
        self.heads = nn.ModuleDict(
            dict(depth=nn.Conv2d(4, 1, 1), seg=nn.Conv2d(4, 2, 1))
        )

    def forward(self, inputs, target=None, mode='tensor'):
        x = self.backbone(inputs)
        seg = F.relu(self.decoders['seg'](x))
        depth = F.relu(self.decoders['depth'](x))
        depth = depth + self.interactions['depth_from_seg'](seg)
        depth, seg = self.heads['depth'](depth), self.heads['seg'](seg)
        if mode == 'loss':
            label = (target[:, 0] > 2.0).long()
            return dict(
                loss_depth=F.mse_loss(depth, target),
                loss_seg=F.cross_entropy(seg, label),
            )
        return depth, seg


class RecordingOptimWrapper(OptimWrapper):
    """Records the loss handed to ``update_params``."""

    def __init__(self, optimizer):
        super().__init__(optimizer)
        self.losses = []

    def update_params(self, loss, **kwargs):
        self.losses.append(loss.detach().clone())
        super().update_params(loss, **kwargs)


def _batch(i):
    gen = torch.Generator().manual_seed(100 + i)
    img = torch.rand(2, 3, 6, 6, generator=gen)
    return dict(inputs=img, target=img.mean(1, keepdim=True) * 2.0 + 1.0)


def _optimizer(kind, model):
    if kind == 'sgd':
        return torch.optim.SGD(
            model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-2
        )
    return torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-2)


def _fake_runner(model, optim_wrapper, iteration=0):
    hub = MessageHub.get_instance(f'alternating_{uuid.uuid4().hex}')
    return SimpleNamespace(
        model=model,
        iter=iteration,
        optim_wrapper=optim_wrapper,
        message_hub=hub,
    )


def _state(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def _optim_state(optimizer, model):
    names = {id(p): n for n, p in model.named_parameters()}
    return {
        names[id(p)]: {k: v.clone() for k, v in s.items()}
        for p, s in optimizer.state.items()
    }


def _train(hook, model, optim_wrapper, iters, start=0):
    """Run ``iters`` iterations the way IterBasedTrainLoop calls the hook;
    return per-iteration records."""
    runner = _fake_runner(model, optim_wrapper, start)
    hook.before_train(runner)
    records = []
    for it in range(start, start + iters):
        runner.iter = it
        model.train()
        hook.before_train_iter(runner, it)
        before = _state(model)
        optim_before = _optim_state(optim_wrapper.optimizer, model)
        log_vars = model.train_step(_batch(it), optim_wrapper)
        records.append(
            dict(
                iter=it,
                phase=hook.phase_at(it).name,
                before=before,
                after=_state(model),
                optim_before=optim_before,
                optim_after=_optim_state(optim_wrapper.optimizer, model),
                log=log_vars,
                total=optim_wrapper.losses[-1],
                em_phase=runner.message_hub.get_scalar(
                    'train/em_phase'
                ).current(),
            )
        )
    hook.after_train(runner)
    return records


def _changed(record):
    return {
        k
        for k in record['before']
        if not torch.equal(record['before'][k], record['after'][k])
    }


# warm-up 2, one round of 2 depth + 2 seg, then joint
PHASES = ['joint'] * 2 + ['depth'] * 2 + ['seg'] * 2 + ['joint'] * 2


@pytest.mark.parametrize('optimizer', ['sgd', 'adam'])
@pytest.mark.parametrize('shared_update', ['both', 'none', 'depth', 'seg'])
def test_each_phase_moves_only_its_parameters(optimizer, shared_update):
    torch.manual_seed(0)
    model = AlternatingToyNet()
    optim_wrapper = RecordingOptimWrapper(_optimizer(optimizer, model))
    hook = AlternatingTrainingHook(
        warmup_iters=2,
        num_rounds=1,
        step_iters=2,
        shared_update=shared_update,
    )
    records = _train(hook, model, optim_wrapper, len(PHASES))
    assert [r['phase'] for r in records] == PHASES
    assert [r['em_phase'] for r in records] == [0, 0, 1, 1, 2, 2, 0, 0]
    everything = SHARED | DEPTH | SEG | SHARED_STATS | SEG_STATS
    for r in records:
        changed = _changed(r) - {
            'backbone.1.num_batches_tracked',
            'decoders.seg.1.num_batches_tracked',
        }
        task = r['phase']
        shared_moves = task == 'joint' or shared_update in ('both', task)
        if task == 'joint':
            expected = everything
        elif task == 'depth':
            expected = DEPTH
        else:
            expected = SEG | SEG_STATS
        if task != 'joint' and shared_moves:
            expected = expected | SHARED | SHARED_STATS
        assert changed == expected, (r['iter'], changed ^ expected)
        # frozen parameters keep their optimizer state (momentum, Adam's
        # moments and step count)
        frozen = everything - expected
        for name in frozen & set(r['optim_before']):
            for key, value in r['optim_before'][name].items():
                assert torch.equal(value, r['optim_after'][name][key])
        # only the active task's loss reaches the optimizer
        log = r['log']
        if task == 'joint':
            total = log['loss_depth'] + log['loss_seg']
        else:
            total = log[f'loss_{task}']
        assert torch.equal(r['total'], total.detach())
        assert torch.equal(log['loss'].detach(), r['total'])
        # the frozen task's loss is still logged
        assert set(log) == {'loss', 'loss_depth', 'loss_seg'}
    # after training the model's own flags and parse_losses are back
    assert all(p.requires_grad for p in model.parameters())
    assert 'parse_losses' not in model.__dict__


def test_depth_step_gradient_is_the_depth_loss_only():
    """The shared parameters' update in a depth step equals an SGD step on
    ``loss_depth`` alone."""
    torch.manual_seed(0)
    model = AlternatingToyNet()
    reference = AlternatingToyNet()
    reference.load_state_dict(model.state_dict())
    optim_wrapper = RecordingOptimWrapper(
        torch.optim.SGD(model.parameters(), lr=0.1)
    )
    hook = AlternatingTrainingHook(num_rounds=1, step_iters=1)
    _train(hook, model, optim_wrapper, 1)
    reference.train()
    reference.decoders['seg'].eval()  # frozen: BatchNorm uses its statistics
    data = reference.data_preprocessor(_batch(0), True)
    loss = reference(**data, mode='loss')['loss_depth']
    weight = reference.backbone[0].weight
    (grad,) = torch.autograd.grad(loss, weight)
    torch.testing.assert_close(
        model.backbone[0].weight, weight.detach() - 0.1 * grad
    )


@pytest.mark.parametrize(
    'kwargs, expected',
    [
        # W=3, depth 2, seg 1, two rounds, then joint
        (
            dict(warmup_iters=3, num_rounds=2, step_iters=(2, 1)),
            [('joint', 0, None)] * 3
            + [('depth', 1, 0)] * 2
            + [('seg', 2, 0)]
            + [('depth', 1, 1)] * 2
            + [('seg', 2, 1)]
            + [('joint', 0, None)] * 2,
        ),
        # no warm-up, one round, then stay in the last step
        (
            dict(num_rounds=1, step_iters=(1, 2), final='last'),
            [('depth', 1, 0)] + [('seg', 2, 0)] * 4,
        ),
        # rounds until the end; three tasks
        (
            dict(
                warmup_iters=1,
                num_rounds=None,
                step_iters=1,
                tasks=('depth', 'seg', 'normal'),
            ),
            [('joint', 0, None)]
            + [('depth', 1, 0), ('seg', 2, 0), ('normal', 3, 0)]
            + [('depth', 1, 1), ('seg', 2, 1), ('normal', 3, 1)]
            + [('depth', 1, 2)],
        ),
    ],
)
def test_phase_at(kwargs, expected):
    hook = AlternatingTrainingHook(**kwargs)
    got = [hook.phase_at(i) for i in range(len(expected))]
    assert got == [AlternatingPhase(*e) for e in expected]
    # far beyond the schedule
    if kwargs.get('num_rounds') is not None:
        assert hook.phase_at(10**6) == AlternatingPhase(*expected[-1])
    else:
        assert hook.phase_at(1 + 3 * 1000 + 1).name == 'seg'


def test_resume_at_any_iteration_restores_the_phase():
    """The phase, the trainable set and the loss filter depend only on the
    iteration at which training starts."""
    torch.manual_seed(0)
    model = AlternatingToyNet()
    optim_wrapper = RecordingOptimWrapper(_optimizer('sgd', model))
    hook = AlternatingTrainingHook(
        warmup_iters=2, num_rounds=1, step_iters=2, shared_update='none'
    )
    records = _train(hook, model, optim_wrapper, 1, start=5)  # a seg step
    assert records[0]['phase'] == 'seg'
    assert _changed(records[0]) - {'decoders.seg.1.num_batches_tracked'} == (
        SEG | SEG_STATS
    )
    assert torch.equal(records[0]['total'], records[0]['log']['loss_seg'])


@MODEL_WRAPPERS.register_module(force=True)
class AlternatingToyWrapper(nn.Module):
    """Stands in for a DDP wrapper: the model is ``.module``."""

    def __init__(self, module):
        super().__init__()
        self.module = module


def test_wrapped_model_and_repeated_before_train():
    torch.manual_seed(0)
    model = AlternatingToyNet()
    wrapper = AlternatingToyWrapper(model)
    optim_wrapper = RecordingOptimWrapper(_optimizer('sgd', model))
    hook = AlternatingTrainingHook(num_rounds=1, step_iters=1)
    runner = _fake_runner(wrapper, optim_wrapper, iteration=1)
    hook.before_train(runner)
    hook.before_train(runner)  # wraps parse_losses once
    assert model.parse_losses.alternating_hook is hook
    assert {n for n, p in model.named_parameters() if p.requires_grad} == (
        SEG | SHARED
    )
    _, log_vars = model.parse_losses(
        dict(loss_depth=torch.tensor(1.0), loss_seg=torch.tensor(2.0))
    )
    assert log_vars['loss'].item() == 2.0
    hook.after_train(runner)
    assert 'parse_losses' not in model.__dict__
    _, log_vars = model.parse_losses(
        dict(loss_depth=torch.tensor(1.0), loss_seg=torch.tensor(2.0))
    )
    assert log_vars['loss'].item() == 3.0


def _multi_task_model(**kwargs):
    enc = dict(type='LightConvEncoder', channels=(4, 4, 8, 8), in_channels=3)
    dec = dict(type='ProgressiveDecoder', channels=(8, 8, 4, 4, 4))
    cfg = dict(
        type='MultiTaskEncoderDecoder',
        backbone=enc,
        decoders=dict(depth=dec, seg=dec, normal=dec),
        heads=dict(
            depth=dict(type='DepthHead'),
            seg=dict(type='SegHead', num_classes=3),
            normal=dict(type='NormalHead'),
        ),
        interactions=[
            dict(
                type='SemanticToDepth',
                target='depth',
                guide='seg',
                stages=(3,),
            ),
            dict(
                type='DepthToSemantic',
                target='seg',
                guide='depth',
                mid_channels=(4, 4),
                stages=(3,),
            ),
        ],
        balancer=dict(type='UncertaintyWeighting'),
        size_divisor=16,
    )
    cfg.update(kwargs)
    torch.manual_seed(0)
    return MODELS.build(cfg)


def _multi_task_batch():
    from mmengine.structures import PixelData

    from mmdepthsr.structures import DenseDataSample

    gen = torch.Generator().manual_seed(0)
    samples = []
    for _ in range(2):
        meta = dict(img_shape=(32, 32), ori_shape=(32, 32))
        sample = DenseDataSample(metainfo=meta)
        sample.gt_depth = PixelData(
            data=1 + torch.rand(1, 32, 32, generator=gen)
        )
        sample.gt_sem_seg = PixelData(
            data=torch.randint(0, 3, (1, 32, 32), generator=gen)
        )
        normal = torch.randn(3, 32, 32, generator=gen)
        sample.gt_normal = PixelData(data=normal / normal.norm(dim=0))
        samples.append(sample)
    return dict(
        inputs=torch.rand(2, 3, 32, 32, generator=gen),
        data_samples=samples,
    )


def test_defaults_for_multi_task_encoder_decoder():
    from mmdepthsr.utils import register_all_modules

    register_all_modules(init_default_scope=False)
    model = _multi_task_model()
    optim_wrapper = RecordingOptimWrapper(_optimizer('sgd', model))
    hook = AlternatingTrainingHook(num_rounds=1, step_iters=1)
    runner = _fake_runner(model, optim_wrapper)
    hook.before_train(runner)  # a depth step
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    tops = {'.'.join(n.split('.')[:2]) for n in trainable}
    assert tops == {
        'backbone.stages',
        'decoders.depth',
        'heads.depth',
        'interactions.depth_from_seg',
    }
    log_vars = model.train_step(_multi_task_batch(), optim_wrapper)
    depth_keys = [k for k in log_vars if k.startswith('loss_depth_')]
    assert depth_keys and any(k.startswith('loss_seg_') for k in log_vars)
    # the balancer is bypassed: the plain sum of the depth losses
    expected = sum(log_vars[k] for k in depth_keys)
    torch.testing.assert_close(optim_wrapper.losses[-1], expected.detach())
    assert not any(k.startswith('weight_') for k in log_vars)
    # the seg step trains the D2S unit, not the normal branch or balancer
    runner.iter = 1
    hook.before_train_iter(runner, 1)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert any(n.startswith('interactions.seg_from_depth.') for n in trainable)
    assert not any(
        n.startswith(('heads.normal', 'decoders.normal', 'balancer'))
        for n in trainable
    )
    # joint phase: the balancer weighs the tasks again
    runner.iter = 2
    hook.before_train_iter(runner, 2)
    log_vars = model.train_step(_multi_task_batch(), optim_wrapper)
    assert {'weight_depth', 'weight_seg', 'weight_normal'} <= set(log_vars)
    hook.after_train(runner)


@pytest.mark.parametrize(
    'kwargs, match',
    [
        (dict(tasks=('depth',)), 'two or more'),
        (dict(step_iters=(1, 0)), 'positive'),
        (dict(step_iters=(1, 1, 1)), 'one positive'),
        (dict(num_rounds=0), 'num_rounds'),
        (dict(warmup_iters=-1), 'warmup_iters'),
        (dict(shared_update='depth_only'), 'shared_update'),
        (dict(final='first'), 'final'),
        (dict(task_prefixes=dict(normal=('heads.normal',))), 'normal'),
    ],
)
def test_invalid_arguments(kwargs, match):
    args = dict(num_rounds=1, step_iters=1)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        AlternatingTrainingHook(**args)


@pytest.mark.parametrize(
    'kwargs, match',
    [
        (dict(shared_prefixes=('encoder',)), r"shared prefixes \['encoder'\]"),
        (
            dict(task_prefixes=dict(depth=('heads.depth', 'backbone'))),
            "'backbone.0.bias' is in the",
        ),
        (dict(task_prefixes=dict(seg=('heads.sem',))), 'heads.sem'),
    ],
)
def test_invalid_groups(kwargs, match):
    model = AlternatingToyNet()
    runner = _fake_runner(model, OptimWrapper(_optimizer('sgd', model)))
    hook = AlternatingTrainingHook(num_rounds=1, step_iters=1, **kwargs)
    with pytest.raises(ValueError, match=match):
        hook.before_train(runner)


def test_task_without_parameters_and_missing_optimizer_params():
    model = AlternatingToyNet()
    del model.heads['seg'], model.decoders['seg']
    runner = _fake_runner(model, OptimWrapper(_optimizer('sgd', model)))
    hook = AlternatingTrainingHook(num_rounds=1, step_iters=1)
    with pytest.raises(ValueError, match="task 'seg' has no parameters"):
        hook.before_train(runner)
    model = AlternatingToyNet()
    params = [p for n, p in model.named_parameters() if 'heads' not in n]
    runner = _fake_runner(model, OptimWrapper(torch.optim.SGD(params, lr=0.1)))
    with pytest.raises(ValueError, match='optimizer lacks 4'):
        hook.before_train(runner)


# Runner: resume in the middle of a depth step is bit-exact.
# warm-up 2, rounds of 3 depth + 2 seg: iterations 7, 8, 9 are the depth
# step of round 2; the run is interrupted after iteration 7 (iter_8.pth).
RUNNER_PHASES = [0, 0, 1, 1, 1, 2, 2, 1, 1, 1, 2, 2]


def _runner_train(config, work_dir, max_iters, resume_from=None):
    cfg = Config.fromfile(config)
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'{osp.basename(work_dir)}_{uuid.uuid4().hex}'
    cfg.model = dict(type='AlternatingToyNet')
    cfg.train_cfg.max_iters = max_iters
    cfg.custom_hooks = [
        dict(type='RNGStateHook'),
        dict(
            type='AlternatingTrainingHook',
            warmup_iters=2,
            num_rounds=2,
            step_iters=(3, 2),
            shared_update='depth',
        ),
    ]
    if resume_from is not None:
        cfg.resume = True
        cfg.load_from = str(resume_from)
    runner = RUNNERS.build(cfg)
    runner.train()
    hub = runner.message_hub
    return dict(
        losses=hub.get_scalar('train/loss').data[0].copy(),
        phases=hub.get_scalar('train/em_phase').data[0].tolist(),
        state=_state(runner.model),
        optim=runner.optim_wrapper.state_dict(),
    )


def test_resume_inside_a_depth_step_is_bit_exact(toy_config, tmp_path):
    n = len(RUNNER_PHASES)
    config = toy_config(max_iters=n, interval=8, with_val=False)
    full = _runner_train(config, tmp_path / 'full', n)
    _runner_train(config, tmp_path / 'part', 8)
    resumed = _runner_train(
        config, tmp_path / 'resumed', n, tmp_path / 'part' / 'iter_8.pth'
    )
    assert full['phases'] == resumed['phases'] == RUNNER_PHASES
    assert np.array_equal(full['losses'], resumed['losses'])
    assert len(set(full['losses'].tolist())) == n
    assert full['state'].keys() == resumed['state'].keys()
    for key in full['state']:
        assert torch.equal(full['state'][key], resumed['state'][key]), key
