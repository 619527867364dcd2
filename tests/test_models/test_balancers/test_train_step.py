"""Every balancer inside MMEngine's training step: a tiny BaseModel whose
``parse_losses`` is ``parse_balanced_losses``, trained through an
OptimWrapper with gradient accumulation."""

import pytest
import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper
from torch import nn

from mmdepthsr.models.balancers import parse_balanced_losses
from mmdepthsr.registry import BALANCERS

BALANCER_CFGS = [
    dict(type='FixedWeighting', weights=dict(depth=1.0, seg=0.5)),
    dict(type='UncertaintyWeighting'),
    dict(type='DynamicWeightAverage', period=2),
    dict(type='GradNorm'),
    dict(type='MGDA', normalization='loss+'),
]


class _TinyJointModel(BaseModel):
    """Shared conv, a depth head with two scales and a seg head."""

    def __init__(self, balancer):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, padding=1)
        self.depth_head = nn.Conv2d(4, 1, 1)
        self.seg_head = nn.Conv2d(4, 3, 1)
        self.balancer = BALANCERS.build(dict(balancer, tasks=('depth', 'seg')))
        self._features = None

    def forward(self, inputs, data_samples=None, mode='tensor'):
        z = torch.relu(self.stem(inputs))
        self._features = [z]
        depth = self.depth_head(z)
        target = inputs.mean(1, keepdim=True)
        seg_logits = F.avg_pool2d(self.seg_head(z), 2)
        labels = (inputs[:, 0, ::2, ::2] > 0).long()
        return {
            # one term per scale, summed like BaseModel.parse_losses does
            'loss_depth': [
                (depth - target).abs().mean(),
                (F.avg_pool2d(depth, 2) - F.avg_pool2d(target, 2))
                .abs()
                .mean(),
            ],
            'loss_seg_s2': F.cross_entropy(seg_logits, labels),
            'acc_seg': (seg_logits.argmax(1) == labels).float().mean(),
        }

    def parse_losses(self, losses):
        shared = None
        if self.balancer.needs == 'params':
            shared = list(self.stem.parameters())
        elif self.balancer.needs == 'features':
            shared = self._features
        return parse_balanced_losses(losses, self.balancer, shared)


@pytest.mark.parametrize(
    'balancer', BALANCER_CFGS, ids=[c['type'] for c in BALANCER_CFGS]
)
def test_train_step_with_accumulation(balancer):
    torch.manual_seed(0)
    model = _TinyJointModel(balancer)
    optim_wrapper = OptimWrapper(
        torch.optim.SGD(model.parameters(), lr=0.1), accumulative_counts=2
    )
    optim_wrapper.initialize_count_status(model, 0, 6)
    stem_before = model.stem.weight.detach().clone()
    balancer_before = [p.detach().clone() for p in model.balancer.parameters()]

    for step in range(6):
        gen = torch.Generator().manual_seed(step)
        data = dict(inputs=torch.randn(2, 3, 8, 8, generator=gen))
        log_vars = model.train_step(data, optim_wrapper)
        if step == 0:  # gradients are accumulated over two iterations
            assert torch.equal(model.stem.weight, stem_before)

    for key in (
        'loss',
        'loss_seg_s2',
        'acc_seg',
        'loss_depth',
        'loss_seg',
        'weight_depth',
        'weight_seg',
    ):
        assert log_vars[key].dim() == 0, key
    assert not torch.equal(model.stem.weight, stem_before)
    for before, after in zip(balancer_before, model.balancer.parameters()):
        assert not torch.equal(before, after)

    weights = (log_vars['weight_depth'].item(), log_vars['weight_seg'].item())
    weighted = (
        weights[0] * log_vars['loss_depth']
        + weights[1] * (log_vars['loss_seg'])
    )
    if balancer['type'] == 'FixedWeighting':
        assert weights == (1.0, 0.5)
    elif balancer['type'] == 'UncertaintyWeighting':
        # exp(-s) L + s with s = -log(weight)
        log_var = -torch.log(torch.tensor(weights))
        assert log_vars['loss'].item() == pytest.approx(
            (weighted + log_var.sum()).item(), rel=1e-5
        )
    if balancer['type'] != 'UncertaintyWeighting':
        # the logged total is the weighted task loss (also for GradNorm)
        assert log_vars['loss'].item() == pytest.approx(
            weighted.item(), rel=1e-5
        )
    if balancer['type'] in ('DynamicWeightAverage', 'GradNorm', 'MGDA'):
        assert weights != (1.0, 1.0)
    if balancer['type'] == 'GradNorm':
        assert sum(weights) == pytest.approx(2.0)
        assert 'balancer_gradnorm_loss' in log_vars
