"""Multi-stage training in one run: switch the model's stage and freeze
parts of it at given iterations.

Coarse-to-fine methods train in phases, e.g. Eigen, Puhrsch & Fergus (NIPS
2014, section 3.3: coarse network first, then the fine network on the frozen
coarse one) and Eigen & Fergus (ICCV 2015, section 3.3: scales 1 and 2
jointly, then scale 3 with the others fixed). :class:`StagedTrainingHook`
runs such a schedule in a single training run, so a single config and a
single work directory cover all phases.

The optimizer is built once, before training starts, and is shared by all
stages. A frozen parameter keeps ``requires_grad=False`` and gets no
gradient (``grad is None``); optimizers such as ``SGD`` and ``Adam`` skip
such parameters entirely, so neither their momentum nor their weight decay
is applied while they are frozen (their momentum buffers are kept for a
later stage that trains them again). Every parameter that some stage trains
must therefore be in the optimizer from the start: MMEngine's default
constructor leaves out parameters that are frozen when it runs (with a
``paramwise_cfg``), which :class:`StagedOptimWrapperConstructor` avoids.
"""

import logging
from typing import Dict, List, Optional, Sequence

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor
from torch import nn

from mmdepthsr.registry import HOOKS, OPTIM_WRAPPER_CONSTRUCTORS

from .freezing import (
    count_trainable,
    frozen_modules,
    matches_prefix,
    missing_from_optimizer,
    set_trainable,
    unmatched_prefixes,
    unwrap_model,
)

__all__ = ['StagedTrainingHook', 'StagedOptimWrapperConstructor']


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class StagedOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """Default constructor that also takes the currently frozen parameters.

    MMEngine's ``DefaultOptimWrapperConstructor`` skips parameters with
    ``requires_grad=False`` when it applies a ``paramwise_cfg``, so a part
    that the model freezes at build time (e.g. the fine head of a model
    built in its first stage) could never be trained by a later stage.
    This constructor builds the optimizer as if every parameter were
    trainable (same ``paramwise_cfg`` rules, LR and weight-decay
    multipliers) and then restores each parameter's ``requires_grad``.
    Use it with :class:`StagedTrainingHook`::

        optim_wrapper = dict(
            constructor='StagedOptimWrapperConstructor', ...)
    """

    def __call__(self, model: nn.Module):
        """Build the optimizer wrapper over all parameters of ``model``."""
        params = list(model.parameters())
        flags = [p.requires_grad for p in params]
        try:
            for p in params:
                p.requires_grad_(True)
            return super().__call__(model)
        finally:
            for p, flag in zip(params, flags):
                p.requires_grad_(flag)


@HOOKS.register_module()
class StagedTrainingHook(Hook):
    """Switch the training stage of the model at given iterations.

    Each stage is a dict with

    * ``begin`` (int): the first iteration (0-based, ``runner.iter``) of the
      stage. The first stage must begin at 0 and the begins must increase.
    * ``model_stage`` (str, optional): passed to ``model.set_stage(name)``
      if the model has that method, else assigned to ``model.stage`` (the
      model must then have a ``stage`` attribute). None leaves the model's
      stage alone.
    * ``frozen`` (Sequence[str], optional): module paths (see
      :func:`~mmdepthsr.engine.freezing.matches_prefix`) whose parameters
      get ``requires_grad=False``; all other parameters get
      ``requires_grad=True``. The frozen modules are put in eval mode
      before every iteration (the train loop calls ``model.train()`` each
      iteration), so their BatchNorm statistics stay fixed and their
      dropout is off. None leaves ``requires_grad`` to the
      model (e.g. ``EigenCoarseFine.set_stage`` freezes its own parts).

    The stage is computed from ``runner.iter`` at ``before_train`` and at
    every ``before_train_iter``, so a run resumed from a checkpoint taken
    in a later stage continues in that stage. The stage is applied to the
    unwrapped model (``model.module`` of a DDP wrapper).

    Every parameter that some stage trains must be in the optimizer, which
    is built once before training: ``before_train`` checks this and names
    the missing parameters (see :class:`StagedOptimWrapperConstructor`).
    Under DDP, PyTorch registers the gradient synchronisation when the model
    is wrapped, for the parameters that require gradients at that moment;
    build the model with every parameter that any stage trains trainable,
    and set ``find_unused_parameters=True`` in ``model_wrapper_cfg``.

    Example (Eigen et al. 2014: coarse, then fine on the frozen coarse)::

        custom_hooks = [
            dict(type='StagedTrainingHook', stages=[
                dict(begin=0, model_stage='coarse', frozen=('fine_head',)),
                dict(begin=150, model_stage='fine',
                     frozen=('backbone', 'coarse_head')),
            ]),
        ]

    Args:
        stages (Sequence[dict]): The stages, in order of ``begin``.
    """

    priority = 'ABOVE_NORMAL'

    _STAGE_KEYS = ('begin', 'model_stage', 'frozen')

    def __init__(self, stages: Sequence[Dict]):
        if not stages:
            raise ValueError('StagedTrainingHook: `stages` is empty.')
        self.stages: List[Dict] = []
        for i, stage in enumerate(stages):
            unknown = set(stage) - set(self._STAGE_KEYS)
            if unknown:
                raise ValueError(
                    f'StagedTrainingHook: stage {i} has unknown keys '
                    f'{sorted(unknown)}; expected {self._STAGE_KEYS}.'
                )
            if 'begin' not in stage:
                raise ValueError(
                    f'StagedTrainingHook: stage {i} has no `begin`.'
                )
            frozen = stage.get('frozen')
            if isinstance(frozen, str):
                frozen = (frozen,)
            self.stages.append(
                dict(
                    begin=int(stage['begin']),
                    model_stage=stage.get('model_stage'),
                    frozen=None if frozen is None else tuple(frozen),
                )
            )
        begins = [s['begin'] for s in self.stages]
        if begins[0] != 0 or any(b >= a for b, a in zip(begins, begins[1:])):
            raise ValueError(
                'StagedTrainingHook: the stage begins must start at 0 and '
                f'increase strictly, got {begins}.'
            )
        self._applied: Optional[int] = None
        self._eval_modules: List[nn.Module] = []

    def stage_index(self, iteration: int) -> int:
        """Index of the stage that iteration ``iteration`` belongs to."""
        index = 0
        for i, stage in enumerate(self.stages):
            if stage['begin'] <= iteration:
                index = i
        return index

    def _set_model_stage(self, model: nn.Module, name: str) -> None:
        if callable(getattr(model, 'set_stage', None)):
            model.set_stage(name)
        elif hasattr(model, 'stage'):
            model.stage = name
        else:
            raise ValueError(
                f'StagedTrainingHook: {type(model).__name__} has neither '
                f'`set_stage` nor a `stage` attribute; cannot switch it to '
                f'"{name}" (leave `model_stage` unset to only freeze).'
            )

    def _apply(self, model: nn.Module, index: int) -> None:
        """Set the model stage and the trainable parameters of a stage."""
        stage = self.stages[index]
        if stage['model_stage'] is not None:
            self._set_model_stage(model, stage['model_stage'])
        frozen = stage['frozen']
        if frozen is None:
            self._eval_modules = []
            return
        names = {n for n, _ in model.named_parameters()}
        frozen_names = {n for n in names if matches_prefix(n, frozen)}
        set_trainable(model, names - frozen_names)
        self._eval_modules = frozen_modules(model, frozen_names)
        self._freeze_modes()

    def _freeze_modes(self) -> None:
        """Put the frozen modules of the current stage in eval mode."""
        for module in self._eval_modules:
            module.eval()

    def _check_prefixes(self, model: nn.Module) -> None:
        for i, stage in enumerate(self.stages):
            for prefix in unmatched_prefixes(model, stage['frozen'] or ()):
                raise ValueError(
                    f'StagedTrainingHook: frozen prefix "{prefix}" of '
                    f'stage {i} matches no parameter of '
                    f'{type(model).__name__}.'
                )

    def _check_optimizer(self, runner, model: nn.Module) -> None:
        """Every parameter that some stage trains is in the optimizer."""
        for i in range(len(self.stages)):
            self._apply(model, i)
            missing = missing_from_optimizer(model, runner.optim_wrapper)
            if missing:
                raise ValueError(
                    f'StagedTrainingHook: stage {i} trains parameters that '
                    f'are not in the optimizer ({len(missing)}, e.g. '
                    f'{missing[:3]}); they were frozen when it was built. '
                    "Set optim_wrapper.constructor='"
                    "StagedOptimWrapperConstructor'."
                )

    def _log_stage(self, runner, model: nn.Module, index: int) -> None:
        stage = self.stages[index]
        trainable, total = count_trainable(model)
        frozen = f'frozen {stage["frozen"]}, ' if stage['frozen'] else ''
        print_log(
            f'Training stage {index} ({stage["model_stage"] or "-"}) from '
            f'iteration {runner.iter}: {frozen}{trainable}/{total} '
            'parameters trainable.',
            logger='current',
            level=logging.INFO,
        )

    def _update(self, runner) -> None:
        model = unwrap_model(runner.model)
        index = self.stage_index(runner.iter)
        if index != self._applied:
            self._apply(model, index)
            self._applied = index
            self._log_stage(runner, model, index)
        else:
            self._freeze_modes()

    def before_train(self, runner) -> None:
        """Check the stages against the model and the optimizer, then
        enter the stage of ``runner.iter`` (> 0 when resuming)."""
        model = unwrap_model(runner.model)
        self._check_prefixes(model)
        self._check_optimizer(runner, model)
        self._applied = None
        self._update(runner)

    def before_train_iter(
        self, runner, batch_idx: int, data_batch=None
    ) -> None:
        """Switch stage when one begins; keep frozen modules in eval."""
        self._update(runner)
