"""Common contract of the multi-task loss balancers.

A balancer turns one scalar loss per task into the loss that is
back-propagated and reports the weight it gave each task::

    balancer = UncertaintyWeighting(tasks=('depth', 'seg'))
    total, log_vars = balancer({'depth': l_depth, 'seg': l_seg})
    # log_vars: {'weight_depth': ..., 'weight_seg': ..., ...}

Some strategies need more than the loss values: GradNorm the parameters of
the last shared layer (``needs = 'params'``), MGDA-UB the shared
representation (``needs = 'features'``). The caller passes them as
``shared``. Input checks, task ordering and the log entries live here once;
a subclass only implements :meth:`BaseBalancer.balance`.
"""

from abc import ABCMeta, abstractmethod
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from torch import Tensor

__all__ = ['BaseBalancer']


class BaseBalancer(BaseModule, metaclass=ABCMeta):
    """Base class of the loss balancers.

    A balancer is a module of the model, so learnable weights (Kendall's
    log-variances, GradNorm's weights) are optimised by the model's
    optimizer and state buffers (DWA's loss history, GradNorm's initial
    losses) are saved in and restored from its checkpoints.

    Args:
        tasks (Sequence[str]): Task names, e.g. ``('depth', 'seg')``. Their
            order fixes the order of the per-task weight tensors.
        init_cfg (dict | list[dict], optional): MMEngine initialisation
            config. Defaults to None.

    Raises:
        ValueError: If ``tasks`` is empty, holds a non-string or an empty
            name, or repeats a name.
    """

    #: What the balancer needs besides the losses, passed as ``shared``:
    #: None, ``'params'`` (the parameters of the last shared layer) or
    #: ``'features'`` (the shared representation tensors).
    needs: Optional[str] = None

    #: Keys of a balancer config that the estimator reads instead of passing
    #: them to the constructor (``shared``: the modules or features that
    #: :attr:`needs` names); the config validation accepts them.
    extra_config_keys: Tuple[str, ...] = ('shared',)

    def __init__(self, tasks: Sequence[str], init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        name = type(self).__name__
        if isinstance(tasks, str):
            raise ValueError(
                f'{name}: tasks must be a sequence of task names, got the '
                f'string {tasks!r}'
            )
        tasks = tuple(tasks)
        if not tasks:
            raise ValueError(f'{name}: tasks must name at least one task')
        for task in tasks:
            if not isinstance(task, str) or not task:
                raise ValueError(
                    f'{name}: every task must be a non-empty string, got '
                    f'{task!r}'
                )
        if len(set(tasks)) != len(tasks):
            raise ValueError(f'{name}: tasks repeat a name: {tasks}')
        self.tasks = tasks

    @property
    def num_tasks(self) -> int:
        """int: Number of tasks ``T``."""
        return len(self.tasks)

    def forward(
        self,
        task_losses: Dict[str, Tensor],
        shared: Optional[Sequence[Tensor]] = None,
    ) -> Tuple[Tensor, Dict[str, Tensor]]:
        """Combine the per-task losses.

        Args:
            task_losses (dict[str, Tensor]): One scalar loss per task, keyed
                by the names in ``self.tasks`` (any order).
            shared (Sequence[Tensor], optional): What :attr:`needs` names:
                the last shared layer's parameters or the shared
                representation tensors (any shapes). Ignored when
                :attr:`needs` is None.

        Returns:
            tuple[Tensor, dict[str, Tensor]]: The scalar loss to
            back-propagate and the log entries: a detached scalar
            ``weight_<task>`` for every task, plus ``balancer_<name>``
            entries of the strategy.

        Raises:
            KeyError: If a task is missing from ``task_losses`` or a key is
                not a task.
            ValueError: If a loss is not a scalar, or ``shared`` is missing
                or empty while the balancer needs it.
        """
        losses = self._stack_losses(task_losses)
        if self.needs is not None:
            if shared is None or len(shared) == 0:
                raise ValueError(
                    f'{type(self).__name__} needs the shared {self.needs} '
                    'as `shared`, got none'
                )
            shared = list(shared)
        total, weights, extra = self.balance(losses, shared)
        log_vars = {
            f'weight_{task}': weights[i].detach()
            for i, task in enumerate(self.tasks)
        }
        log_vars.update(
            {f'balancer_{key}': value.detach() for key, value in extra.items()}
        )
        return total, log_vars

    @abstractmethod
    def balance(
        self, losses: Tensor, shared: Optional[Sequence[Tensor]]
    ) -> Tuple[Tensor, Tensor, Dict[str, Tensor]]:
        """Strategy-specific part of :meth:`forward`.

        Args:
            losses (Tensor): Task losses in the order of ``self.tasks``,
                ``(T,)``, attached to the graph.
            shared (list[Tensor], optional): See :meth:`forward`; None when
                :attr:`needs` is None.

        Returns:
            tuple[Tensor, Tensor, dict[str, Tensor]]: The scalar loss to
            back-propagate, the weights of the tasks ``(T,)`` and extra
            scalars to log (logged as ``balancer_<key>``).
        """

    def _stack_losses(self, task_losses: Dict[str, Tensor]) -> Tensor:
        """Stack the task losses in the order of ``self.tasks``.

        Args:
            task_losses (dict[str, Tensor]): Scalar loss per task.

        Returns:
            Tensor: ``(T,)`` losses, still attached to the graph.
        """
        name = type(self).__name__
        missing = [t for t in self.tasks if t not in task_losses]
        if missing:
            raise KeyError(
                f'{name}: no loss for task(s) {missing}; got losses for '
                f'{sorted(task_losses)}, expected {list(self.tasks)}'
            )
        unknown = [t for t in task_losses if t not in self.tasks]
        if unknown:
            raise KeyError(
                f'{name}: losses for unknown task(s) {unknown}; expected '
                f'{list(self.tasks)}'
            )
        values = []
        for task in self.tasks:
            loss = task_losses[task]
            if not isinstance(loss, Tensor) or loss.numel() != 1:
                shape = tuple(loss.shape) if isinstance(loss, Tensor) else loss
                raise ValueError(
                    f'{name}: the loss of task {task!r} must be a scalar '
                    f'tensor, got {shape!r}'
                )
            values.append(loss.reshape(()))
        return torch.stack(values)
