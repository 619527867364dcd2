"""DynamicWeightAverage: weights from a hand-made loss history against
``T * softmax(r / temperature)``, evaluation mode, argument errors and a
resume from the middle of a period."""

import math

import pytest
import torch

from mmdepthsr.models.balancers import DynamicWeightAverage


def _softmax(values, temperature):
    exps = [math.exp(v / temperature) for v in values]
    return [e / sum(exps) for e in exps]


def _feed(balancer, depth, seg):
    total, log_vars = balancer(
        {'depth': torch.tensor(depth), 'seg': torch.tensor(seg)}
    )
    return (
        total,
        log_vars['weight_depth'].item(),
        log_vars['weight_seg'].item(),
    )


def test_weights_from_the_two_previous_periods():
    balancer = DynamicWeightAverage(
        ('depth', 'seg'), period=2, temperature=2.0
    )
    # Periods 1 and 2 (averages depth 3 then 1.5, seg 1 then 1): weights 1.
    for depth, seg in ((4.0, 1.0), (2.0, 1.0), (1.5, 0.8), (1.5, 1.2)):
        total, w_depth, w_seg = _feed(balancer, depth, seg)
        assert (w_depth, w_seg) == (1.0, 1.0)
        assert total.item() == pytest.approx(depth + seg)
    # Period 3: r = (1.5 / 3, 1 / 1).
    expected = [2 * w for w in _softmax([0.5, 1.0], 2.0)]
    for depth, seg in ((0.75, 2.0), (0.75, 2.0)):
        total, w_depth, w_seg = _feed(balancer, depth, seg)
        assert [w_depth, w_seg] == pytest.approx(expected, rel=1e-6)
        assert total.item() == pytest.approx(
            expected[0] * depth + expected[1] * seg, rel=1e-6
        )
    # Period 4: r = (0.75 / 1.5, 2 / 1); the slower task gets more weight.
    _, w_depth, w_seg = _feed(balancer, 1.0, 1.0)
    assert [w_depth, w_seg] == pytest.approx(
        [2 * w for w in _softmax([0.5, 2.0], 2.0)], rel=1e-6
    )
    assert w_seg > w_depth
    assert balancer.num_periods.item() == 3
    assert balancer.running_count.item() == 1


def test_temperature_and_three_tasks():
    balancer = DynamicWeightAverage(
        ('depth', 'sr', 'seg'), period=1, temperature=0.5
    )
    for losses in ((1.0, 1.0, 1.0), (0.5, 1.0, 2.0)):
        balancer(dict(zip(balancer.tasks, map(torch.tensor, losses))))
    _, log_vars = balancer(dict(zip(balancer.tasks, torch.ones(3))))
    expected = [3 * w for w in _softmax([0.5, 1.0, 2.0], 0.5)]
    got = [log_vars[f'weight_{t}'].item() for t in balancer.tasks]
    assert got == pytest.approx(expected, rel=1e-6)
    assert sum(got) == pytest.approx(3.0)


def test_evaluation_mode_does_not_record():
    balancer = DynamicWeightAverage(('depth', 'seg'), period=1).eval()
    for _ in range(3):
        _feed(balancer, 1.0, 2.0)
    assert balancer.num_periods.item() == 0
    assert balancer.running_count.item() == 0


def test_gradients_flow_through_constant_weights():
    balancer = DynamicWeightAverage(('depth', 'seg'), period=1)
    for depth, seg in ((2.0, 1.0), (1.0, 1.0)):
        _feed(balancer, depth, seg)
    depth = torch.tensor(1.0, requires_grad=True)
    total, log_vars = balancer({'depth': depth, 'seg': torch.tensor(1.0)})
    total.backward()
    assert depth.grad.item() == pytest.approx(log_vars['weight_depth'].item())


@pytest.mark.parametrize(
    'kwargs, match',
    [
        (dict(period=0), 'period must be >= 1'),
        (dict(period=2.5), 'integer'),
        (dict(temperature=0.0), 'temperature'),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DynamicWeightAverage(('depth',), **kwargs)


def _run(balancer, steps, start):
    outputs = []
    for step in range(start, start + steps):
        gen = torch.Generator().manual_seed(step)
        losses = {
            t: torch.rand((), generator=gen) + 0.1 for t in balancer.tasks
        }
        outputs.append(balancer(losses))
    return outputs


def test_resume_mid_period_is_bit_identical():
    tasks = ('depth', 'sr', 'seg')
    reference = DynamicWeightAverage(tasks, period=3)
    expected = _run(reference, 14, 0)

    first = DynamicWeightAverage(tasks, period=3)
    _run(first, 8, 0)  # two full periods and two passes of the third
    resumed = DynamicWeightAverage(tasks, period=3)
    resumed.load_state_dict(first.state_dict())
    got = _run(resumed, 6, 8)
    assert resumed.num_periods.item() == 4
    for (total, log_vars), (ref_total, ref_vars) in zip(got, expected[8:]):
        assert torch.equal(total, ref_total)
        for key in ref_vars:
            assert torch.equal(log_vars[key], ref_vars[key])
    # the resumed weights differ from 1, so the state was really used
    assert got[-1][1]['weight_depth'].item() != 1.0
