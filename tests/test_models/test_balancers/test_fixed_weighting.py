"""FixedWeighting: hand-computed totals, gradients and argument errors."""

import pytest
import torch

from mmdepthsr.models.balancers import FixedWeighting


def test_uniform_by_default():
    balancer = FixedWeighting(('depth', 'sr', 'seg'))
    losses = {t: torch.tensor(v) for t, v in zip(balancer.tasks, (1.5, 2, 4))}
    total, log_vars = balancer(losses)
    assert total.item() == 7.5
    assert [log_vars[f'weight_{t}'].item() for t in balancer.tasks] == [1] * 3


def test_weighted_total_and_gradient():
    balancer = FixedWeighting(
        ('depth', 'seg'), weights={'seg': 0.25, 'depth': 3}
    )
    depth = torch.tensor(2.0, requires_grad=True)
    seg = torch.tensor(8.0, requires_grad=True)
    total, _ = balancer({'depth': depth, 'seg': seg})
    assert total.item() == 3 * 2 + 0.25 * 8
    total.backward()
    assert depth.grad.item() == 3.0 and seg.grad.item() == 0.25


def test_weights_are_not_parameters_nor_state():
    balancer = FixedWeighting(('depth',), weights={'depth': 2.0})
    assert list(balancer.parameters()) == []
    assert balancer.state_dict() == {}


def test_weights_must_cover_the_tasks():
    with pytest.raises(KeyError, match=r"missing \['seg'\], unknown \['sr'\]"):
        FixedWeighting(('depth', 'seg'), weights={'depth': 1, 'sr': 1})


def test_negative_weight_is_rejected():
    with pytest.raises(ValueError, match="'depth'.*-1"):
        FixedWeighting(('depth',), weights={'depth': -1})
