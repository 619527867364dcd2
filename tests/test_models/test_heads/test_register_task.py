"""register_task: heads of a new task, its loss keys, and name checks."""

import pytest
import torch

from mmdepthsr.models.balancers import group_losses
from mmdepthsr.models.heads import (
    TASKS,
    BaseDenseHead,
    base_dense_head,
    register_task,
    registered_tasks,
)


@pytest.fixture(autouse=True)
def _no_extra_tasks(monkeypatch):
    """Every test starts from the built-in tasks and leaves them so."""
    monkeypatch.setattr(base_dense_head, '_EXTRA_TASKS', [])


class _EdgeHead(BaseDenseHead):
    task = 'edge'

    def __init__(self, in_channels, scales=(1,)):
        super().__init__(
            in_channels, 1, scales=scales, loss_decode=dict(type='L1Loss')
        )

    def loss_by_feat(self, preds, data_samples):
        return {
            self.loss_key(i): pred.abs().mean() for i, pred in enumerate(preds)
        }


def test_unregistered_task_is_refused_with_the_way_out():
    with pytest.raises(TypeError, match=r"got 'edge'; add a new task with"):
        _EdgeHead(4)


def test_registered_task_builds_heads_with_its_loss_keys():
    assert registered_tasks() == TASKS
    assert register_task('edge') == 'edge'
    assert register_task('edge') == 'edge'  # again: no duplicate
    assert register_task('depth') == 'depth'  # built-in: unchanged
    assert registered_tasks() == (*TASKS, 'edge')
    head = _EdgeHead(4, scales=(2, 1))
    feats = [torch.ones(1, 4, 2, 2), torch.ones(1, 4, 4, 4)]
    losses = head.loss(feats, [])
    assert sorted(losses) == ['loss_edge_s1', 'loss_edge_s2']
    grouped = group_losses(
        dict(losses, loss_depth=torch.tensor(2.0)), ('depth', 'edge')
    )
    torch.testing.assert_close(
        grouped['edge'], losses['loss_edge_s1'] + losses['loss_edge_s2']
    )
    torch.testing.assert_close(grouped['depth'], torch.tensor(2.0))


@pytest.mark.parametrize(
    'name', ['', 'Edge', 'edge_map', '2d', 'edge-map', None, ('edge',)]
)
def test_invalid_task_names_are_refused(name):
    with pytest.raises(ValueError, match='lower-case letters and digits'):
        register_task(name)
    assert registered_tasks() == TASKS
