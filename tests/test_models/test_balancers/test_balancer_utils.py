"""group_losses and parse_balanced_losses: grouping by task, lists, errors
and the log entries."""

from collections import OrderedDict

import pytest
import torch

from mmdepthsr.models.balancers import (
    FixedWeighting,
    group_losses,
    parse_balanced_losses,
    select_task_losses,
)


def _raw_losses():
    return OrderedDict(
        loss_depth_s1=torch.tensor([1.0, 3.0]),  # mean 2
        loss_depth_s2=[torch.tensor(0.5), torch.tensor([1.0, 2.0])],  # 2
        loss_seg=torch.tensor(4.0),
        acc_seg=torch.tensor(0.9),
    )


def test_group_losses_sums_means_and_lists_per_task():
    groups = group_losses(_raw_losses(), ('depth', 'seg'))
    assert list(groups) == ['depth', 'seg']
    assert groups['depth'].item() == pytest.approx(2.0 + 2.0)
    assert groups['seg'].item() == 4.0


def test_group_losses_keeps_the_graph():
    x = torch.tensor(2.0, requires_grad=True)
    groups = group_losses({'loss_sr_l1': x * 3, 'loss_sr_grad': x**2}, ['sr'])
    groups['sr'].backward()
    assert x.grad.item() == 3 + 2 * 2


def test_select_task_losses_keeps_the_active_tasks_and_statistics():
    raw = _raw_losses()
    kept, others = select_task_losses(raw, ('seg',), ('depth', 'seg'))
    assert list(kept) == ['loss_seg', 'acc_seg']
    assert list(others) == ['loss_depth_s1', 'loss_depth_s2']
    assert kept['loss_seg'] is raw['loss_seg']
    kept, others = select_task_losses(
        {'loss_sr_x_l1': 1, 'loss_sr_l1': 2}, ('sr',), ('sr', 'sr_x')
    )
    assert list(kept) == ['loss_sr_l1'] and list(others) == ['loss_sr_x_l1']
    with pytest.raises(KeyError, match='loss_normal'):
        select_task_losses({'loss_normal': 1}, ('seg',), ('depth', 'seg'))


def test_longest_task_name_wins():
    groups = group_losses(
        {
            'loss_depth_x': torch.tensor(1.0),
            'loss_depth_sr': torch.tensor(2.0),
        },
        ('depth', 'depth_sr'),
    )
    assert groups['depth'].item() == 1.0
    assert groups['depth_sr'].item() == 2.0


@pytest.mark.parametrize(
    'key', ['loss_normal', 'loss_depthx', 'loss', 'aux_loss']
)
def test_loss_key_without_a_known_task_is_named(key):
    losses = {'loss_depth': torch.tensor(1.0), key: torch.tensor(1.0)}
    with pytest.raises(KeyError, match=repr(key)):
        group_losses(losses, ('depth',))


def test_task_without_loss_is_named():
    with pytest.raises(KeyError, match="task 'seg'"):
        group_losses({'loss_depth': torch.tensor(1.0)}, ('depth', 'seg'))


def test_task_total_key_cannot_be_combined_with_details():
    losses = {
        'loss_depth': torch.tensor(1.0),
        'loss_depth_grad': torch.ones(1),
    }
    with pytest.raises(ValueError, match='loss_depth_grad'):
        group_losses(losses, ('depth',))


def test_non_tensor_loss_is_rejected():
    with pytest.raises(TypeError, match="'loss_depth'"):
        group_losses({'loss_depth': 1.0}, ('depth',))


def test_parse_balanced_losses_total_and_log_vars():
    balancer = FixedWeighting(
        ('depth', 'seg'), weights={'depth': 0.5, 'seg': 2}
    )
    total, log_vars = parse_balanced_losses(_raw_losses(), balancer)
    assert total.item() == pytest.approx(0.5 * 4.0 + 2 * 4.0)
    assert list(log_vars) == [
        'loss',
        'loss_depth_s1',
        'loss_depth_s2',
        'loss_seg',
        'acc_seg',
        'loss_depth',
        'weight_depth',
        'weight_seg',
    ]
    expected = {
        'loss': 10.0,
        'loss_depth_s1': 2.0,
        'loss_depth_s2': 2.0,
        'loss_seg': 4.0,
        'acc_seg': 0.9,
        'loss_depth': 4.0,
        'weight_depth': 0.5,
        'weight_seg': 2.0,
    }
    for key, value in expected.items():
        assert log_vars[key].item() == pytest.approx(value), key
        assert log_vars[key].dim() == 0 and not log_vars[key].requires_grad
