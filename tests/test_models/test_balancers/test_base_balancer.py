"""BaseBalancer contract (through FixedWeighting, the simplest strategy):
task ordering, error messages, the log entries and the registry."""

import pytest
import torch
from mmengine.registry import init_default_scope

from mmdepthsr.models.balancers import (
    MGDA,
    BaseBalancer,
    DynamicWeightAverage,
    FixedWeighting,
    GradNorm,
    UncertaintyWeighting,
)
from mmdepthsr.registry import BALANCERS


def test_losses_in_any_order_are_matched_to_tasks():
    balancer = FixedWeighting(('depth', 'seg'), weights={'depth': 2, 'seg': 3})
    total, log_vars = balancer(
        {'seg': torch.tensor(5.0), 'depth': torch.tensor(7.0)}
    )
    assert total.item() == 2 * 7 + 3 * 5
    assert set(log_vars) == {'weight_depth', 'weight_seg'}
    assert log_vars['weight_depth'].item() == 2.0
    assert not log_vars['weight_seg'].requires_grad


def test_one_element_losses_are_accepted():
    balancer = FixedWeighting(('depth',))
    total, _ = balancer({'depth': torch.tensor([4.0])})
    assert total.shape == () and total.item() == 4.0


def test_missing_task_is_named():
    balancer = FixedWeighting(('depth', 'seg', 'sr'))
    with pytest.raises(KeyError, match=r"\['seg', 'sr'\]"):
        balancer({'depth': torch.tensor(1.0)})


def test_unknown_task_is_named():
    balancer = FixedWeighting(('depth',))
    with pytest.raises(KeyError, match='normal'):
        balancer({'depth': torch.tensor(1.0), 'normal': torch.tensor(1.0)})


def test_non_scalar_loss_is_rejected():
    balancer = FixedWeighting(('depth',))
    with pytest.raises(ValueError, match=r"'depth'.*\(2,\)"):
        balancer({'depth': torch.ones(2)})


@pytest.mark.parametrize('tasks', [(), 'depth', ('depth', 'depth'), ('',)])
def test_bad_tasks(tasks):
    with pytest.raises(ValueError, match='FixedWeighting'):
        FixedWeighting(tasks)


@pytest.mark.parametrize('cls', [GradNorm, MGDA])
def test_missing_shared_inputs(cls):
    balancer = cls(('depth', 'seg'))
    losses = {'depth': torch.tensor(1.0), 'seg': torch.tensor(2.0)}
    with pytest.raises(ValueError, match=f'{cls.__name__} needs the shared'):
        balancer(losses)
    with pytest.raises(ValueError, match=balancer.needs):
        balancer(losses, shared=[])


def test_needs():
    assert BaseBalancer.needs is None
    assert FixedWeighting.needs is None
    assert UncertaintyWeighting.needs is None
    assert DynamicWeightAverage.needs is None
    assert GradNorm.needs == 'params'
    assert MGDA.needs == 'features'


@pytest.mark.parametrize(
    'cls',
    [
        FixedWeighting,
        UncertaintyWeighting,
        DynamicWeightAverage,
        GradNorm,
        MGDA,
    ],
)
def test_registry_builds_every_balancer(cls):
    init_default_scope('mmdepthsr')
    balancer = BALANCERS.build(dict(type=cls.__name__, tasks=['depth', 'sr']))
    assert type(balancer) is cls
    assert balancer.tasks == ('depth', 'sr')
