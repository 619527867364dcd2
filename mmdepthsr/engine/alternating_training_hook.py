"""EM-like alternating training of a multi-task model in one run.

SOSD-Net (He et al., arXiv 2101.07422, abstract) trains depth and semantics
"borrowing the iterative idea of expectation-maximisation".
:class:`AlternatingTrainingHook` implements the schedule of our notes
(``reference/models_mde_seg.md`` section 3.6): a joint warm-up, then rounds
that alternate a depth step (semantic-specific parameters frozen, depth
loss only) and a semantic step (the reverse), then optionally joint again.
Whether the shared encoder / neck trains in the task steps is not known
from the paper; ``shared_update`` chooses.

The schedule::

    iteration  0 ........ W ....... W+D ....... W+D+S ...... W+R(D+S) ... end
    phase      |  joint   | depth   |  seg      | depth ...  | joint / last
               warmup_iters  step_iters[0]  step_iters[1]   (R = num_rounds)
"""

import logging
from typing import Dict, List, NamedTuple, Optional, Sequence, Set, Union

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import BaseModel
from torch import nn

from mmdepthsr.models.balancers import select_task_losses
from mmdepthsr.registry import HOOKS

from .freezing import (
    count_trainable,
    frozen_modules,
    matches_prefix,
    missing_from_optimizer,
    set_trainable,
    unmatched_prefixes,
    unwrap_model,
)

__all__ = ['AlternatingPhase', 'AlternatingTrainingHook']

DEFAULT_SHARED = ('backbone', 'lr_encoder', 'neck')


class AlternatingPhase(NamedTuple):
    """The phase of one iteration.

    Attributes:
        name (str): ``'joint'`` or the task of a task step.
        index (int): 0 for joint, ``1 + i`` for a step of ``tasks[i]``
            (logged as ``train/em_phase``).
        round (int, optional): 0-based round of a task step; None for a
            joint phase.
    """

    name: str
    index: int
    round: Optional[int]


@HOOKS.register_module()
class AlternatingTrainingHook(Hook):
    """Alternate single-task steps of a multi-task model (EM-like).

    Phases, as a pure function of the iteration (:meth:`phase_at`):

    1. ``warmup_iters`` joint iterations: every parameter the model trains
       and every loss, combined as the model does (sum or balancer).
    2. ``num_rounds`` rounds; each runs ``step_iters[i]`` iterations of a
       step of ``tasks[i]``, in order. In a step of task ``t`` only the
       parameters of ``t`` train, with the shared ones if ``shared_update``
       says so, and only the losses of ``t`` reach the optimizer.
    3. Until the end: ``final='joint'`` trains jointly again, ``'last'``
       stays in the last task step. With ``num_rounds=None`` the rounds
       go on until the end.

    **Parameter groups.** Parameters are assigned by module path prefixes
    (:func:`~mmdepthsr.engine.freezing.matches_prefix`):

    * shared: ``shared_prefixes``; None takes those of
      ``('backbone', 'lr_encoder', 'neck')`` that the model has.
    * task ``t``: ``task_prefixes[t]``; a task not given there takes the
      defaults for :class:`~mmdepthsr.models.MultiTaskEncoderDecoder`:
      ``decoders.<t>``, ``heads.<t>`` and ``interactions.<name>`` for every
      interaction unit whose ``target`` is ``t`` (read from the model's
      ``interaction_specs``), those the model has. A unit belongs to the
      task whose features it refines: SOSD-Net's semantic-to-depth unit,
      including its convs on the semantic features, trains in depth steps.
      List units explicitly to assign them otherwise.
    * the rest (the heads of tasks not in ``tasks``, a balancer's
      parameters, unlisted modules) trains in joint phases only; its names
      are logged at the start.

    A prefix given in the config must match a parameter, and no parameter
    may be in two groups. Parameters the model itself freezes
    (``requires_grad=False`` when training starts) stay frozen in every
    phase.

    **Freezing.** A frozen parameter gets ``requires_grad=False`` and
    ``grad=None``: ``SGD`` (momentum, weight decay), ``Adam`` and ``AdamW``
    skip a parameter without gradient, so it stays bit-identical and its
    optimizer state is kept for the next phase that trains it. MMEngine's
    ``OptimWrapper.zero_grad`` sets gradients to None, as this needs. The
    optimizer is built once and must hold every parameter that some phase
    trains (checked in ``before_train``; see
    :class:`~mmdepthsr.engine.StagedOptimWrapperConstructor` for models
    that freeze parts at build time). With ``eval_frozen`` the outermost
    modules whose parameters the phase froze are put in eval mode before
    every iteration, so their BatchNorm statistics stay fixed too and their
    dropout is off. A phase switch inside a gradient-accumulation window
    drops the gradients accumulated for the parameters it freezes.

    **Losses of a task step.** The model's ``parse_losses`` (which
    ``train_step`` of the model and of MMEngine's DDP wrapper call) is
    wrapped on the unwrapped model instance in ``before_train`` and the
    wrapper removed in ``after_train``. In a task step it keeps the
    ``loss_<task>[_<detail>]`` keys of the active task
    (:func:`~mmdepthsr.models.balancers.select_task_losses`, task names
    from the model's ``tasks`` if it has them) and sums them with
    MMEngine's rule, bypassing the model's balancer: balancing a single
    task is meaningless, and the balancer's parameters do not train in task
    steps. The other tasks' losses, which the forward pass computed anyway,
    are logged detached under their own keys; ``loss`` is the
    back-propagated total. In joint phases the model's own
    ``parse_losses`` runs. Wrapping keeps the estimator free of training
    schedule state; an estimator that later honours an ``active_tasks``
    attribute can call ``select_task_losses`` itself.

    **Resuming and logging.** The phase is computed from ``runner.iter`` in
    ``before_train`` and every ``before_train_iter``, so a run resumed at
    any iteration restores the freezing, the eval modes and the loss
    filter of that iteration. Each switch is logged (phase, round,
    trainable parameters); ``train/em_phase`` in the message hub (and the
    training log) holds :attr:`AlternatingPhase.index` of the current
    iteration, the runtime info ``em_phase`` its name. Under DDP build the
    model with every parameter trainable and set
    ``find_unused_parameters=True`` in ``model_wrapper_cfg``.

    Example (SOSD-Net-style: 2k joint warm-up iterations, 5 rounds of 1k
    depth + 1k semantic iterations, shared encoder updated by depth steps
    only, then joint)::

        custom_hooks = [
            dict(type='RNGStateHook'),
            dict(
                type='AlternatingTrainingHook',
                warmup_iters=2000,
                num_rounds=5,
                step_iters=(1000, 1000),
                tasks=('depth', 'seg'),
                shared_update='depth',
                final='joint',
                # defaults for MultiTaskEncoderDecoder, spelled out:
                shared_prefixes=('backbone', 'neck'),
                task_prefixes=dict(
                    depth=('decoders.depth', 'heads.depth',
                           'interactions.depth_from_seg'),
                    seg=('decoders.seg', 'heads.seg',
                         'interactions.seg_from_depth')),
            ),
        ]

    Args:
        step_iters (int | Sequence[int]): Iterations of each task step,
            one per task (an int for all).
        num_rounds (int, optional): Number of rounds; None alternates until
            the end of training.
        warmup_iters (int): Joint iterations before the first round.
            Defaults to 0.
        tasks (Sequence[str]): The alternated tasks, in step order (two or
            more; the loss-key names). Defaults to ``('depth', 'seg')``.
        shared_update (str): Which task steps train the shared parameters:
            ``'both'`` (every step), ``'none'`` or a task name. Defaults to
            ``'both'``.
        final (str): After the rounds, ``'joint'`` or ``'last'`` (keep the
            last task step). Defaults to ``'joint'``.
        shared_prefixes (Sequence[str], optional): Module paths of the
            shared parameters. Defaults to None (see above).
        task_prefixes (dict[str, Sequence[str]], optional): Module paths of
            each task's parameters. Defaults to None (see above).
        eval_frozen (bool): Put the frozen modules in eval mode. Defaults
            to True.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(
        self,
        step_iters: Union[int, Sequence[int]],
        num_rounds: Optional[int],
        warmup_iters: int = 0,
        tasks: Sequence[str] = ('depth', 'seg'),
        shared_update: str = 'both',
        final: str = 'joint',
        shared_prefixes: Optional[Sequence[str]] = None,
        task_prefixes: Optional[Dict[str, Sequence[str]]] = None,
        eval_frozen: bool = True,
    ):
        name = type(self).__name__
        self.tasks = tuple(tasks)
        if len(self.tasks) < 2 or len(set(self.tasks)) != len(self.tasks):
            raise ValueError(
                f'{name}: `tasks` must name two or more distinct tasks, got '
                f'{self.tasks}.'
            )
        if isinstance(step_iters, int):
            step_iters = (step_iters,) * len(self.tasks)
        self.step_iters = tuple(int(n) for n in step_iters)
        if len(self.step_iters) != len(self.tasks) or min(self.step_iters) < 1:
            raise ValueError(
                f'{name}: `step_iters` must give one positive number of '
                f'iterations per task {self.tasks}, got {self.step_iters}.'
            )
        if num_rounds is not None and num_rounds < 1:
            raise ValueError(
                f'{name}: `num_rounds` must be >= 1 or None, got {num_rounds}.'
            )
        if warmup_iters < 0:
            raise ValueError(
                f'{name}: `warmup_iters` must be >= 0, got {warmup_iters}.'
            )
        if shared_update not in ('both', 'none') + self.tasks:
            raise ValueError(
                f'{name}: `shared_update` must be "both", "none" or a task of '
                f'{self.tasks}, got {shared_update!r}.'
            )
        if final not in ('joint', 'last'):
            raise ValueError(
                f'{name}: `final` must be "joint" or "last", got {final!r}.'
            )
        unknown = set(task_prefixes or {}) - set(self.tasks)
        if unknown:
            raise ValueError(
                f'{name}: `task_prefixes` names tasks {sorted(unknown)} that '
                f'are not in `tasks` {self.tasks}.'
            )
        self.num_rounds = num_rounds
        self.warmup_iters = int(warmup_iters)
        self.shared_update = shared_update
        self.final = final
        self.shared_prefixes = (
            None if shared_prefixes is None else tuple(shared_prefixes)
        )
        self.task_prefixes = {
            task: tuple(prefixes)
            for task, prefixes in (task_prefixes or {}).items()
        }
        self.eval_frozen = eval_frozen
        #: Names of the parameters each phase index trains.
        self._trainable: Dict[int, Set[str]] = {}
        self._eval_modules: Dict[int, List[nn.Module]] = {}
        self._phase: Optional[AlternatingPhase] = None
        self._original_grad: Dict[str, bool] = {}

    def phase_at(self, iteration: int) -> AlternatingPhase:
        """The phase of iteration ``iteration`` (0-based ``runner.iter``).

        Args:
            iteration (int): The iteration.

        Returns:
            AlternatingPhase: Its phase.
        """
        joint = AlternatingPhase('joint', 0, None)
        if iteration < self.warmup_iters:
            return joint
        offset = iteration - self.warmup_iters
        period = sum(self.step_iters)
        round_ = offset // period
        if self.num_rounds is not None and round_ >= self.num_rounds:
            if self.final == 'joint':
                return joint
            last = len(self.tasks) - 1
            return AlternatingPhase(
                self.tasks[last], last + 1, self.num_rounds - 1
            )
        offset %= period
        for i, length in enumerate(self.step_iters):
            if offset < length:
                return AlternatingPhase(self.tasks[i], i + 1, round_)
            offset -= length
        raise AssertionError('unreachable: offset < period')

    @staticmethod
    def _present(model: nn.Module, prefixes: Sequence[str]) -> tuple:
        """The default prefixes under which ``model`` has parameters."""
        missing = set(unmatched_prefixes(model, prefixes))
        return tuple(p for p in prefixes if p not in missing)

    def _default_task_prefixes(self, model: nn.Module, task: str) -> tuple:
        prefixes = [f'decoders.{task}', f'heads.{task}']
        for spec in getattr(model, 'interaction_specs', ()):
            unit_name, target = spec[0], spec[1]
            if target == task:
                prefixes.append(f'interactions.{unit_name}')
        return self._present(model, prefixes)

    def _groups(self, model: nn.Module) -> Dict[str, Set[str]]:
        """Parameter names of the shared group and of each task."""
        name = type(self).__name__
        given = dict(self.task_prefixes)
        if self.shared_prefixes is not None:
            given['shared'] = self.shared_prefixes
        for group, prefixes in given.items():
            unmatched = unmatched_prefixes(model, prefixes)
            if unmatched:
                raise ValueError(
                    f'{name}: the {group} prefixes {unmatched} match no '
                    f'parameter of {type(model).__name__}.'
                )
        prefixes = {'shared': self.shared_prefixes}
        if self.shared_prefixes is None:
            prefixes['shared'] = self._present(model, DEFAULT_SHARED)
        for task in self.tasks:
            prefixes[task] = self.task_prefixes.get(task)
            if prefixes[task] is None:
                prefixes[task] = self._default_task_prefixes(model, task)
        names = [n for n, _ in model.named_parameters()]
        groups = {
            group: {n for n in names if matches_prefix(n, p)}
            for group, p in prefixes.items()
        }
        for task in self.tasks:
            if not groups[task]:
                raise ValueError(
                    f'{name}: task {task!r} has no parameters under '
                    f'{list(prefixes[task])} in {type(model).__name__}; '
                    'list them with `task_prefixes`.'
                )
        seen: Dict[str, str] = {}
        for group, members in groups.items():
            for n in sorted(members):
                if n in seen:
                    raise ValueError(
                        f'{name}: parameter {n!r} is in the {seen[n]} and '
                        f'the {group} parameters; make the prefixes '
                        'disjoint.'
                    )
                seen[n] = group
        return groups

    def _plan(self, model: nn.Module) -> None:
        """The trainable parameters and eval modules of every phase."""
        groups = self._groups(model)
        base = {n for n, flag in self._original_grad.items() if flag}
        self._trainable = {0: base}
        for i, task in enumerate(self.tasks):
            allowed = set(groups[task])
            if self.shared_update in ('both', task):
                allowed |= groups['shared']
            self._trainable[i + 1] = base & allowed
        self._eval_modules = {
            index: frozen_modules(model, base - trainable)
            if self.eval_frozen
            else []
            for index, trainable in self._trainable.items()
        }
        assigned = set().union(*groups.values())
        rest = sorted({n.rsplit('.', 1)[0] for n in base - assigned})
        if rest:
            print_log(
                f'{type(self).__name__}: parameters outside the shared and '
                f'task groups train in joint phases only: {rest[:8]}'
                f'{" ..." if len(rest) > 8 else ""}',
                logger='current',
                level=logging.INFO,
            )

    def _install_loss_filter(self, model: nn.Module) -> None:
        """Wrap ``model.parse_losses`` so that task steps see only their
        task's losses (see the class docstring)."""
        if self._owns_parse_losses(model):
            return
        original = model.parse_losses
        tasks = tuple(getattr(model, 'tasks', None) or self.tasks)
        missing = set(self.tasks) - set(tasks)
        if missing:
            raise ValueError(
                f'{type(self).__name__}: {type(model).__name__} has no tasks '
                f'{sorted(missing)}; its tasks are {tasks}.'
            )

        def parse_losses(losses):
            phase = self._phase
            if phase is None or phase.index == 0:
                return original(losses)
            kept, others = select_task_losses(losses, (phase.name,), tasks)
            total, log_vars = BaseModel.parse_losses(model, kept)
            _, other_vars = BaseModel.parse_losses(model, others)
            other_vars.pop('loss')
            for key, value in other_vars.items():
                log_vars[key] = value.detach()
            return total, log_vars

        parse_losses.alternating_hook = self
        model.parse_losses = parse_losses

    def _owns_parse_losses(self, model: nn.Module) -> bool:
        """Whether ``model.parse_losses`` is this hook's wrapper."""
        current = model.__dict__.get('parse_losses')
        return getattr(current, 'alternating_hook', None) is self

    def _remove_loss_filter(self, model: nn.Module) -> None:
        if self._owns_parse_losses(model):
            del model.parse_losses

    def _describe(self, phase: AlternatingPhase, iteration: int) -> str:
        if phase.index == 0:
            return (
                'joint warm-up' if iteration < self.warmup_iters else 'joint'
            )
        rounds = '' if self.num_rounds is None else f'/{self.num_rounds}'
        shared = (
            'trained'
            if self.shared_update in ('both', phase.name)
            else 'frozen'
        )
        return (
            f'{phase.name} step of round {phase.round + 1}{rounds} '
            f'(shared parameters {shared})'
        )

    def _update(self, runner) -> None:
        model = unwrap_model(runner.model)
        phase = self.phase_at(runner.iter)
        if self._phase is None or phase.index != self._phase.index:
            set_trainable(model, self._trainable[phase.index])
            trainable, total = count_trainable(model)
            print_log(
                f'{type(self).__name__}: from iteration {runner.iter}, '
                f'{self._describe(phase, runner.iter)}: '
                f'{trainable}/{total} parameters trainable.',
                logger='current',
                level=logging.INFO,
            )
        self._phase = phase
        for module in self._eval_modules[phase.index]:
            module.eval()

    def before_train(self, runner) -> None:
        """Assign the parameters to groups, check the optimizer, wrap
        ``parse_losses`` and enter the phase of ``runner.iter`` (> 0 when
        resuming)."""
        model = unwrap_model(runner.model)
        self._original_grad = {
            n: p.requires_grad for n, p in model.named_parameters()
        }
        self._plan(model)
        missing = missing_from_optimizer(model, runner.optim_wrapper)
        if missing:
            raise ValueError(
                f'{type(self).__name__}: the optimizer lacks {len(missing)} '
                f'trainable parameters, e.g. {missing[:3]}.'
            )
        self._install_loss_filter(model)
        self._phase = None
        self._update(runner)

    def before_train_iter(
        self, runner, batch_idx: int, data_batch=None
    ) -> None:
        """Switch phase when one begins; keep frozen modules in eval; log
        the phase of this iteration."""
        self._update(runner)
        runner.message_hub.update_scalar('train/em_phase', self._phase.index)
        runner.message_hub.update_info('em_phase', self._phase.name)

    def after_train(self, runner) -> None:
        """Remove the loss filter and restore ``requires_grad``."""
        model = unwrap_model(runner.model)
        self._remove_loss_filter(model)
        set_trainable(
            model, {n for n, flag in self._original_grad.items() if flag}
        )
        self._phase = None
