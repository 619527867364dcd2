"""Grouping of the raw loss dict by task, and balanced loss parsing.

Heads name their losses ``loss_<task>`` or ``loss_<task>_<detail>`` (e.g.
``loss_depth_s2``, ``loss_seg``). :func:`group_losses` sums them per task;
:func:`select_task_losses` keeps those of some tasks (single-task steps of
alternating training);
:func:`parse_balanced_losses` is a drop-in for MMEngine's
``BaseModel.parse_losses`` that lets a balancer weigh the task sums. Both
``BaseModel.train_step`` and ``MMDistributedDataParallel.train_step`` call
``parse_losses`` and hand the total to ``OptimWrapper.update_params``, so
gradient accumulation and mixed precision stay with the optimizer wrapper
and the log processor logs every returned entry.
"""

from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple, Union

from mmengine.utils import is_list_of
from torch import Tensor

from .base import BaseBalancer

__all__ = ['group_losses', 'parse_balanced_losses', 'select_task_losses']

LossValue = Union[Tensor, List[Tensor]]


def _reduce(key: str, value: LossValue) -> Tensor:
    """Mean of a tensor, or the sum of the means of a list of tensors."""
    if isinstance(value, Tensor):
        return value.mean()
    if is_list_of(value, Tensor) and value:
        return sum(item.mean() for item in value)
    raise TypeError(
        f'loss {key!r} must be a tensor or a non-empty list of tensors, got '
        f'{type(value).__name__}'
    )


def _task_of(key: str, tasks: Sequence[str]) -> str:
    """Task of a loss key ``loss_<task>[_<detail>]`` (longest match)."""
    if key.startswith('loss_'):
        rest = key[len('loss_') :]
        matches = [t for t in tasks if rest == t or rest.startswith(t + '_')]
        if matches:
            return max(matches, key=len)
    raise KeyError(
        f'loss key {key!r} does not name a task: loss keys must be '
        f'loss_<task> or loss_<task>_<detail> with <task> in {list(tasks)}'
    )


def group_losses(
    losses: Dict[str, LossValue], tasks: Sequence[str]
) -> Dict[str, Tensor]:
    """Sum the losses of each task.

    Every key that contains ``'loss'`` (MMEngine's rule for what enters the
    total) must read ``loss_<task>`` or ``loss_<task>_<detail>``; a tensor
    contributes its mean, a list of tensors the sum of their means, as in
    ``BaseModel.parse_losses``. Other keys (accuracies, statistics) are
    ignored. ``loss_<task>`` names the task's total, so it cannot be
    combined with ``loss_<task>_<detail>`` keys of the same task.

    Args:
        losses (dict[str, Tensor | list[Tensor]]): Raw losses of the model.
        tasks (Sequence[str]): Task names, e.g. ``('depth', 'seg')``.

    Returns:
        dict[str, Tensor]: Scalar loss per task, in the order of ``tasks``.

    Raises:
        KeyError: If a loss key names no task of ``tasks``, or a task has
            no loss.
        ValueError: If a task has both ``loss_<task>`` and detailed keys.
        TypeError: If a loss is neither a tensor nor a list of tensors.
    """
    groups: Dict[str, Dict[str, Tensor]] = {task: {} for task in tasks}
    for key, value in losses.items():
        if 'loss' not in key:
            continue
        groups[_task_of(key, tasks)][key] = _reduce(key, value)
    for task, members in groups.items():
        if not members:
            raise KeyError(
                f'no loss for task {task!r}: expected a key loss_{task} or '
                f'loss_{task}_<detail>, got {sorted(losses)}'
            )
        if f'loss_{task}' in members and len(members) > 1:
            raise ValueError(
                f'loss_{task} names the total of task {task!r} and cannot '
                f'be combined with {sorted(set(members) - {f"loss_{task}"})}'
                f'; rename it to loss_{task}_<detail>'
            )
    return {task: sum(groups[task].values()) for task in tasks}


def select_task_losses(
    losses: Dict[str, LossValue],
    active: Sequence[str],
    tasks: Sequence[str],
) -> Tuple[Dict[str, LossValue], Dict[str, LossValue]]:
    """Split the raw losses into those of the active tasks and the others.

    Keys that contain ``'loss'`` are assigned to their task by the rule of
    :func:`group_losses`; other keys (accuracies, statistics) go with the
    active losses, so they are logged as usual.

    Args:
        losses (dict[str, Tensor | list[Tensor]]): Raw losses of the model.
        active (Sequence[str]): The tasks whose losses are kept.
        tasks (Sequence[str]): Every task of the model (the longest task
            name that a key starts with wins, as in :func:`group_losses`).

    Returns:
        tuple[dict, dict]: The losses of the active tasks (and the keys
        without ``'loss'``), and the losses of the other tasks, each in the
        order of ``losses``.

    Raises:
        KeyError: If a loss key names no task of ``tasks``.
    """
    kept, others = OrderedDict(), OrderedDict()
    for key, value in losses.items():
        if 'loss' in key and _task_of(key, tasks) not in active:
            others[key] = value
        else:
            kept[key] = value
    return kept, others


def parse_balanced_losses(
    losses: Dict[str, LossValue],
    balancer: BaseBalancer,
    shared: Optional[Sequence[Tensor]] = None,
) -> Tuple[Tensor, Dict[str, Tensor]]:
    """Parse the raw losses like ``BaseModel.parse_losses``, with a balancer.

    The losses are grouped per task with :func:`group_losses` and weighed by
    ``balancer``. A model uses it as its ``parse_losses``::

        def parse_losses(self, losses):
            return parse_balanced_losses(
                losses, self.balancer, self.balancer_inputs())

    Args:
        losses (dict[str, Tensor | list[Tensor]]): Raw losses of the model.
        balancer (BaseBalancer): Weighs the task losses; its ``tasks`` are
            the tasks to group by.
        shared (Sequence[Tensor], optional): What ``balancer.needs``: the
            last shared layer's parameters or the shared representation.
            Defaults to None.

    Returns:
        tuple[Tensor, dict[str, Tensor]]: The loss to back-propagate and the
        detached log entries: ``loss`` (the total) first, then every raw key
        (mean, lists summed), ``loss_<task>`` (the task sums), and the
        balancer's ``weight_<task>`` and ``balancer_<name>`` entries.
    """
    task_losses = group_losses(losses, balancer.tasks)
    total, balancer_vars = balancer(task_losses, shared)
    log_vars = OrderedDict(loss=total.detach())
    for key, value in losses.items():
        log_vars[key] = _reduce(key, value).detach()
    for task, value in task_losses.items():
        log_vars[f'loss_{task}'] = value.detach()
    log_vars.update(balancer_vars)
    return total, log_vars
