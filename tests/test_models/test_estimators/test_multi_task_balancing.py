"""Loss balancers inside the training step of the multi-task estimator.

A tiny tri-task JointDepthSR (SR, MDE, semantic) is trained through
MMEngine's ``train_step`` with every balancer: the per-task weights are
logged, the balancer gets the last shared layer's parameters (GradNorm) or
the shared maps of the current pass (MGDA), gradient accumulation and CPU
autocast work, a resumed Runner reproduces an uninterrupted run bit for
bit, and two gloo processes agree on the weights.
"""

import os.path as osp
import uuid

import pytest
import torch
import torch.distributed as torch_dist
import torch.multiprocessing as mp
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.model import MMDistributedDataParallel
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from torch.utils.data import Dataset

from mmdepthsr.engine import CPUAutocastOptimWrapper
from mmdepthsr.models.balancers import group_losses
from mmdepthsr.registry import DATASETS, MODELS, RUNNERS
from mmdepthsr.structures import DenseDataSample

TASKS = ('sr', 'depth', 'seg')
ENC = dict(type='LightConvEncoder', channels=(4, 4, 8, 8))
BALANCERS = [
    dict(type='FixedWeighting', weights=dict(sr=1.0, depth=0.5, seg=0.25)),
    dict(type='UncertaintyWeighting'),
    dict(type='DynamicWeightAverage', period=1),
    dict(type='GradNorm'),
    dict(type='MGDA'),
]
LEARNED = ('UncertaintyWeighting', 'GradNorm')
SHARED_BALANCERS = [dict(type='GradNorm'), dict(type='MGDA')]


@pytest.fixture(autouse=True)
def _one_thread():
    """The tiny convolutions run faster on one thread than on contended
    cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _cfg(balancer=None, **kwargs):
    """Tiny tri-task v3 model (about 13 k parameters)."""
    cfg = dict(
        type='JointDepthSR',
        scale_factor=4,
        data_preprocessor=dict(
            type='DenseDataPreprocessor',
            mean=[127.5] * 3,
            std=[64.0] * 3,
            size_divisor=16,
        ),
        colour_encoder=dict(ENC, in_channels=3),
        depth_encoder=dict(ENC, in_channels=1),
        fuse_channels=(4, 4, 8, 8),
        decoder_channels=(8, 8, 4, 4, 4),
        sr_fusion=dict(type='DepthGuidedSRFusion'),
        depth_fusion=dict(type='SRGuidedDepthFusion'),
        num_classes=3,
        sem_to_depth=dict(type='SemanticToDepth'),
        depth_to_sem=dict(type='DepthToSemantic'),
        balancer=balancer,
    )
    cfg.update(kwargs)
    return cfg


def _build(balancer=None, seed=0, **kwargs):
    init_default_scope('mmdepthsr')
    torch.manual_seed(seed)
    return MODELS.build(_cfg(balancer, **kwargs)).train()


def _sample(index, size=32, s=4):
    """One deterministic sample: uint8 image, metric GT, LR depth, labels."""
    gen = torch.Generator().manual_seed(index)
    img = torch.randint(0, 256, (3, size, size), generator=gen)
    sample = DenseDataSample(
        metainfo=dict(
            img_shape=(size, size), ori_shape=(size, size), scale_factor=s
        )
    )
    gt = 0.5 + 4.0 * torch.rand(1, size, size, generator=gen)
    sample.gt_depth = PixelData(data=gt)
    sample.lr_depth = PixelData(data=F.avg_pool2d(gt[None], s)[0])
    labels = torch.randint(0, 3, (1, size, size), generator=gen)
    sample.gt_sem_seg = PixelData(data=labels)
    return img.to(torch.uint8), sample


def _data(step, n=2):
    samples = [_sample(100 * step + i) for i in range(n)]
    return dict(
        inputs=[img for img, _ in samples],
        data_samples=[sample for _, sample in samples],
    )


def _net_params(model):
    return {
        k: p.detach().clone()
        for k, p in model.named_parameters()
        if not k.startswith('balancer.')
    }


@pytest.mark.parametrize(
    'balancer', BALANCERS, ids=[b['type'] for b in BALANCERS]
)
def test_train_step_with_every_balancer_and_accumulation(balancer):
    model = _build(balancer)
    optim_wrapper = OptimWrapper(
        torch.optim.SGD(model.parameters(), lr=0.05), accumulative_counts=2
    )
    optim_wrapper.initialize_count_status(model, 0, 4)
    net_before = _net_params(model)
    balancer_before = [p.detach().clone() for p in model.balancer.parameters()]

    for step in range(4):
        log_vars = model.train_step(_data(step), optim_wrapper)
        weights = torch.stack([log_vars[f'weight_{t}'] for t in TASKS])
        task_losses = torch.stack([log_vars[f'loss_{t}'] for t in TASKS])
        # MGDA's min-norm point may lie on an edge of the simplex.
        assert torch.isfinite(weights).all() and (weights >= 0).all()
        assert weights.sum() > 0
        # The logged total is the weighted sum of the logged task losses.
        expected = (weights * task_losses).sum()
        if balancer['type'] == 'UncertaintyWeighting':
            expected = expected - weights.log().sum()  # + sum_t s_t
        torch.testing.assert_close(log_vars['loss'], expected)
        after = _net_params(model)
        changed = [not torch.equal(after[k], net_before[k]) for k in after]
        if step == 0:  # gradients accumulate over two iterations
            assert not any(changed)
        else:
            assert any(changed)
    if balancer['type'] == 'FixedWeighting':
        torch.testing.assert_close(weights, torch.tensor([1.0, 0.5, 0.25]))
    if balancer['type'] in LEARNED:
        assert balancer_before
        assert all(
            not torch.equal(p, q)
            for p, q in zip(model.balancer.parameters(), balancer_before)
        )
    if balancer['type'] == 'DynamicWeightAverage':
        # Two closed periods: the weights follow the loss ratios.
        assert int(model.balancer.num_periods) == 4
        assert not torch.allclose(weights, torch.ones(3))
    assert model._balancer_features is None


def test_gradnorm_gets_the_last_shared_layer():
    model = _build(dict(type='GradNorm'))
    assert model.balancer_shared == ('neck.fusions.3',)
    shared = model.balancer_shared_params()
    assert [id(p) for p in shared] == [
        id(p) for p in model.neck.fusions[3].parameters()
    ]
    data = model.data_preprocessor(_data(0), True)
    losses = group_losses(model.loss(**data), TASKS)
    expected = []
    for task in TASKS:
        grads = torch.autograd.grad(losses[task], shared, retain_graph=True)
        expected.append(torch.cat([g.flatten() for g in grads]).norm())
    _, log_vars = model.parse_losses(model.loss(**data))
    for task, norm in zip(TASKS, expected):
        # w_t = 1 at the start: the logged norm is ||grad_W L_t||.
        torch.testing.assert_close(
            log_vars[f'balancer_grad_norm_{task}'], norm
        )


def test_gradnorm_shared_prefix_from_the_config():
    model = _build(dict(type='GradNorm', shared=['neck.fusions.2.block.0']))
    assert model.balancer_shared == ('neck.fusions.2.block.0',)
    assert [id(p) for p in model.balancer_shared_params()] == [
        id(model.neck.fusions[2].block[0].weight)
    ]


def test_mgda_gets_the_maps_of_the_current_pass_once():
    model = _build(dict(type='MGDA'))
    assert model.balancer_shared == ('neck',)
    seen = []
    forward = model.balancer.forward

    def spy(task_losses, shared=None):
        seen.append(shared)
        return forward(task_losses, shared)

    model.balancer.forward = spy
    data = model.data_preprocessor(_data(0), True)
    losses = model.loss(**data)
    assert len(model._balancer_features) == 4
    model.parse_losses(losses)
    assert model._balancer_features is None
    with torch.no_grad():
        lr = model.extract_lr_depth(data['inputs'], data['data_samples'])
        up = model.upsample_lr(lr, (32, 32))
        neck = model.extract_feat(data['inputs'], up)['neck']
    assert len(seen[0]) == len(neck) == 4
    for got, want in zip(seen[0], neck):
        assert got.requires_grad
        torch.testing.assert_close(got.detach(), want)
    with pytest.raises(RuntimeError, match='call loss'):
        model.parse_losses(losses)


def test_default_shared_parts_without_a_common_source_or_neck():
    # The MDE decoder reads the colour encoder, the others the neck: the
    # representation every task shares is the encoders' output.
    model = _build(dict(type='MGDA'), mde_input='colour')
    assert model.balancer_shared == ('backbone', 'lr_encoder')
    monocular = MODELS.build(
        dict(
            type='MultiTaskEncoderDecoder',
            backbone=dict(ENC, in_channels=3),
            heads=dict(depth=dict(type='DepthHead', scales=(2, 4, 8, 16))),
            balancer=dict(type='GradNorm'),
        )
    )
    assert monocular.balancer_shared == ('backbone.stages.3',)
    assert len(monocular.balancer_shared_params()) == len(
        list(monocular.backbone.stages[3].parameters())
    )


@pytest.mark.parametrize(
    'balancer, match',
    [
        (dict(type='GradNorm', shared='neck.fusion.3'), 'names no parameter'),
        (dict(type='GradNorm', shared='heads.sr'), 'task-specific'),
        (dict(type='MGDA', shared='fpn'), 'not a feature source'),
        (dict(type='UncertaintyWeighting', shared='neck'), 'only the losses'),
    ],
)
def test_bad_shared_is_explained(balancer, match):
    with pytest.raises(ValueError, match=match):
        _build(balancer)


@pytest.mark.parametrize(
    'balancer', SHARED_BALANCERS, ids=['GradNorm', 'MGDA']
)
def test_cpu_autocast_train_step(balancer):
    model = _build(balancer)
    optim_wrapper = CPUAutocastOptimWrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.05)
    )
    net_before = _net_params(model)
    for step in range(2):
        log_vars = model.train_step(_data(step), optim_wrapper)
        weights = torch.stack([log_vars[f'weight_{t}'] for t in TASKS])
        assert torch.isfinite(weights).all() and weights.sum() > 0
        assert torch.isfinite(log_vars['loss'])
    if balancer['type'] == 'GradNorm':
        norms = [log_vars[f'balancer_grad_norm_{t}'] for t in TASKS]
        assert all(n > 0 for n in norms)
        assert not torch.equal(model.balancer.weight_logits, torch.zeros(3))
    else:
        assert log_vars['balancer_min_norm'] > 0
    assert all(p.dtype == torch.float32 for p in model.parameters())
    after = _net_params(model)
    assert any(not torch.equal(after[k], net_before[k]) for k in after)


@DATASETS.register_module(name='_BalancingToyDataset', force=True)
class _BalancingToyDataset(Dataset):
    """Eight fixed tri-task samples (see :func:`_sample`)."""

    metainfo = dict(name='balancing_toy')

    def __len__(self):
        return 8

    def __getitem__(self, index):
        img, sample = _sample(index)
        return dict(inputs=img, data_samples=sample)


RUNTIME = osp.join(
    osp.dirname(osp.abspath(__file__)),
    *(['..'] * 3),
    'configs',
    '_base_',
    'default_runtime.py',
)
K = 3  # iterations before the interruption; the full run has 2K


def _runner_train(balancer, work_dir, max_iters, resume_from=None):
    cfg = Config.fromfile(RUNTIME)
    cfg.merge_from_dict(
        dict(
            model=_cfg(balancer),
            train_dataloader=dict(
                batch_size=2,
                num_workers=0,
                sampler=dict(type='InfiniteSampler', shuffle=True),
                collate_fn=dict(type='pseudo_collate'),
                dataset=dict(type='_BalancingToyDataset'),
            ),
            optim_wrapper=dict(
                type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-2)
            ),
            train_cfg=dict(type='IterBasedTrainLoop', max_iters=max_iters),
            default_hooks=dict(
                logger=dict(interval=1), checkpoint=dict(interval=K)
            ),
            work_dir=str(work_dir),
            # Runners built in the same second would share a message hub.
            experiment_name=f'{osp.basename(work_dir)}_{uuid.uuid4().hex}',
        )
    )
    if resume_from is not None:
        cfg.resume = True
        cfg.load_from = str(resume_from)
    runner = RUNNERS.build(cfg)
    runner.train()
    return {k: v.clone() for k, v in runner.model.state_dict().items()}


@pytest.mark.parametrize(
    'balancer',
    [dict(type='DynamicWeightAverage', period=2), dict(type='GradNorm')],
    ids=['DynamicWeightAverage', 'GradNorm'],
)
def test_resume_with_a_stateful_balancer_is_bit_exact(balancer, tmp_path):
    full = _runner_train(balancer, tmp_path / 'full', 2 * K)
    _runner_train(balancer, tmp_path / 'part', K)
    resumed = _runner_train(
        balancer,
        tmp_path / 'resumed',
        2 * K,
        resume_from=tmp_path / 'part' / f'iter_{K}.pth',
    )
    assert full.keys() == resumed.keys()
    different = [k for k in full if not torch.equal(full[k], resumed[k])]
    assert not different
    state = {k: v for k, v in full.items() if k.startswith('balancer.')}
    if balancer['type'] == 'GradNorm':
        assert bool(state['balancer.initialized'])
        assert (state['balancer.initial_losses'] > 0).all()
        assert not torch.equal(state['balancer.weight_logits'], torch.zeros(3))
    else:
        # 6 passes, period 2: the checkpoint at 3 was mid-period.
        assert int(state['balancer.num_periods']) == 3
        assert (state['balancer.history'] > 0).all()


def _train_on_rank(rank, init_file, out_file):
    torch.set_num_threads(1)
    torch_dist.init_process_group(
        'gloo', init_method=f'file://{init_file}', rank=rank, world_size=2
    )
    for balancer in SHARED_BALANCERS:
        model = _build(balancer)
        ddp = MMDistributedDataParallel(
            module=model, device_ids=None, broadcast_buffers=False
        )
        optim_wrapper = OptimWrapper(
            torch.optim.SGD(model.parameters(), lr=0.05)
        )
        weights = []
        for step in range(3):
            # Each rank trains on its own samples, as a distributed sampler.
            data = _data(2 * step + rank, n=1)
            log_vars = ddp.train_step(data, optim_wrapper)
            weights.append(
                torch.stack([log_vars[f'weight_{t}'] for t in TASKS])
            )
        torch.save(
            dict(
                weights=torch.stack(weights),
                params=dict(model.named_parameters()),
                balancer=model.balancer.state_dict(),
            ),
            f'{out_file}.{balancer["type"]}.{rank}',
        )
    torch_dist.destroy_process_group()


def test_two_gloo_processes_agree_on_the_weights(tmp_path):
    """GradNorm and MGDA under MMDistributedDataParallel: different samples
    per rank, the same weights, parameters and balancer state on both."""
    out_file = tmp_path / 'state'
    mp.spawn(
        _train_on_rank,
        args=(str(tmp_path / 'init'), str(out_file)),
        nprocs=2,
    )
    for balancer in SHARED_BALANCERS:
        name = balancer['type']
        rank0, rank1 = (
            torch.load(f'{out_file}.{name}.{r}', weights_only=False)
            for r in (0, 1)
        )
        assert torch.equal(rank0['weights'], rank1['weights']), name
        # The weights move away from the initial ones (GradNorm: all 1).
        assert not torch.allclose(rank0['weights'][-1], torch.ones(3))
        for key, param in rank0['params'].items():
            assert torch.equal(param, rank1['params'][key]), key
        for key, value in rank0['balancer'].items():
            assert torch.equal(value, rank1['balancer'][key]), key
        initial = _build(balancer)
        moved = [
            not torch.equal(p.detach(), rank0['params'][k])
            for k, p in initial.named_parameters()
        ]
        assert any(moved), name
