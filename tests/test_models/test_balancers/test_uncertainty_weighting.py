"""UncertaintyWeighting: total and gradients against the hand formula
``sum_t exp(-s_t) L_t + s_t``, the optimum ``exp(-s) = 1 / L`` and resume."""

import math

import pytest
import torch

from mmdepthsr.models.balancers import UncertaintyWeighting


def test_total_and_gradients_match_the_formula():
    balancer = UncertaintyWeighting(
        ('depth', 'seg'), init_log_variance={'depth': 0.5, 'seg': -1.0}
    )
    depth = torch.tensor(2.0, requires_grad=True)
    seg = torch.tensor(0.3, requires_grad=True)
    total, log_vars = balancer({'depth': depth, 'seg': seg})
    expected = math.exp(-0.5) * 2.0 + 0.5 + math.exp(1.0) * 0.3 - 1.0
    assert total.item() == pytest.approx(expected, rel=1e-6)
    assert log_vars['weight_depth'].item() == pytest.approx(math.exp(-0.5))
    assert log_vars['weight_seg'].item() == pytest.approx(math.exp(1.0))

    total.backward()
    # d/ds_t = 1 - exp(-s_t) L_t, d/dL_t = exp(-s_t)
    grad_s = balancer.log_variances.grad
    assert grad_s[0].item() == pytest.approx(1 - math.exp(-0.5) * 2.0)
    assert grad_s[1].item() == pytest.approx(1 - math.exp(1.0) * 0.3)
    assert depth.grad.item() == pytest.approx(math.exp(-0.5))
    assert seg.grad.item() == pytest.approx(math.exp(1.0))


def test_default_start_is_plain_sum_plus_zero():
    balancer = UncertaintyWeighting(('depth', 'sr'))
    total, log_vars = balancer(
        {'depth': torch.tensor(3.0), 'sr': torch.tensor(1.0)}
    )
    assert total.item() == 4.0
    assert log_vars['weight_sr'].item() == 1.0


def test_weights_converge_to_inverse_losses():
    # With constant losses the optimum of exp(-s) L + s is exp(-s) = 1 / L.
    balancer = UncertaintyWeighting(('depth', 'seg'))
    optimizer = torch.optim.SGD(balancer.parameters(), lr=0.1)
    losses = {'depth': torch.tensor(4.0), 'seg': torch.tensor(0.5)}
    for _ in range(300):
        optimizer.zero_grad()
        total, log_vars = balancer(losses)
        total.backward()
        optimizer.step()
    assert log_vars['weight_depth'].item() == pytest.approx(0.25, rel=1e-3)
    assert log_vars['weight_seg'].item() == pytest.approx(2.0, rel=1e-3)


def test_per_task_init_must_cover_the_tasks():
    with pytest.raises(KeyError, match=r"missing \['seg'\]"):
        UncertaintyWeighting(('depth', 'seg'), init_log_variance={'depth': 0})


def _run(balancer, optimizer, steps, start):
    outputs = []
    for step in range(start, start + steps):
        gen = torch.Generator().manual_seed(step)
        losses = {
            t: torch.rand((), generator=gen) + 0.1 for t in balancer.tasks
        }
        optimizer.zero_grad()
        total, log_vars = balancer(losses)
        total.backward()
        optimizer.step()
        outputs.append((total.detach(), log_vars))
    return outputs


def test_resume_is_bit_identical():
    tasks = ('depth', 'seg')
    reference = UncertaintyWeighting(tasks)
    ref_opt = torch.optim.Adam(reference.parameters(), lr=0.05)
    expected = _run(reference, ref_opt, 6, 0)

    first = UncertaintyWeighting(tasks)
    first_opt = torch.optim.Adam(first.parameters(), lr=0.05)
    _run(first, first_opt, 3, 0)
    resumed = UncertaintyWeighting(tasks)
    resumed.load_state_dict(first.state_dict())
    resumed_opt = torch.optim.Adam(resumed.parameters(), lr=0.05)
    resumed_opt.load_state_dict(first_opt.state_dict())
    got = _run(resumed, resumed_opt, 3, 3)
    for (total, log_vars), (ref_total, ref_vars) in zip(got, expected[3:]):
        assert torch.equal(total, ref_total)
        for key in ref_vars:
            assert torch.equal(log_vars[key], ref_vars[key])
