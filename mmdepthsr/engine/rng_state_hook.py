"""Save and restore random number generator states for exact resume."""

import logging
import random
from typing import Callable, Dict, Iterator, Optional

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import IterBasedTrainLoop

from mmdepthsr.registry import HOOKS

__all__ = ['RNGStateHook', 'get_rng_state', 'set_rng_state']


def get_rng_state() -> Dict:
    """The states of Python's, numpy's global and torch's generators.

    Every value is a builtin or a tensor, so the state can be stored in a
    checkpoint that loads with ``torch.load(weights_only=True)``.

    Returns:
        dict: ``python`` (``random.getstate()``), ``numpy`` (the legacy
        global ``RandomState`` as a dict), ``torch`` (CPU generator, uint8
        tensor) and, when CUDA is available, ``cuda`` (one uint8 tensor per
        device).
    """
    name, key, pos, has_gauss, cached_gaussian = np.random.get_state()
    state = dict(
        python=random.getstate(),
        numpy=dict(
            bit_generator=str(name),
            key=torch.from_numpy(key.astype(np.int64)),
            pos=int(pos),
            has_gauss=int(has_gauss),
            cached_gaussian=float(cached_gaussian),
        ),
        torch=torch.get_rng_state(),
    )
    if torch.cuda.is_available():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: Dict) -> None:
    """Restore generator states saved by :func:`get_rng_state`.

    Args:
        state (dict): As returned by :func:`get_rng_state`. A ``cuda``
            entry is restored only if this machine has the same number of
            CUDA devices (a warning is logged otherwise).
    """
    version, internal, gauss = state['python']
    random.setstate((version, tuple(internal), gauss))
    np_state = state['numpy']
    np.random.set_state(
        (
            np_state['bit_generator'],
            np_state['key'].numpy().astype(np.uint32),
            np_state['pos'],
            np_state['has_gauss'],
            np_state['cached_gaussian'],
        )
    )
    torch.set_rng_state(state['torch'])
    cuda_states = state.get('cuda')
    if cuda_states is None or not torch.cuda.is_available():
        return
    if len(cuda_states) != torch.cuda.device_count():
        print_log(
            f'The checkpoint holds {len(cuda_states)} CUDA generator states '
            f'but this machine has {torch.cuda.device_count()} devices; '
            'CUDA generators are not restored.',
            logger='current',
            level=logging.WARNING,
        )
        return
    torch.cuda.set_rng_state_all(cuda_states)


class _RestoreAfterSkip:
    """Iterator proxy that restores RNG states after ``num_skip`` batches.

    MMEngine's ``IterBasedTrainLoop`` replays the batches already trained on
    after a resume (``next`` is called ``iter`` times); with
    ``num_workers=0`` their data pipeline runs in this process and draws
    from the global generators. The states of the checkpoint must therefore
    be restored after the replay, right before the first new batch is read.
    """

    def __init__(
        self,
        loop: IterBasedTrainLoop,
        num_skip: int,
        restore: Callable[[], None],
    ):
        self._loop = loop
        self._iterator = loop.dataloader_iterator
        self._remaining = num_skip
        self._restore = restore

    def __iter__(self) -> Iterator:
        return self

    def __next__(self):
        if self._remaining == 0:
            self._restore()
            self._loop.dataloader_iterator = self._iterator
            return next(self._iterator)
        self._remaining -= 1
        return next(self._iterator)

    def __getattr__(self, name: str):
        return getattr(self._iterator, name)


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Make a resumed run replay the random numbers of an uninterrupted one.

    - ``before_save_checkpoint``: stores :func:`get_rng_state` under
      ``checkpoint['rng_state']``.
    - ``after_load_checkpoint`` + ``before_train``: when training resumes
      (the loop's ``iter`` or ``epoch`` is > 0; a ``load_from`` fine-tune
      starts fresh), the stored states are restored at the point where the
      uninterrupted run saved them: for MMEngine's ``IterBasedTrainLoop``
      after it has replayed the already-seen batches, otherwise at once.
    - ``before_val`` / ``after_val``: validation during training is
      isolated (the states are put back after it), so it neither changes
      the training randomness nor makes a resumed run diverge (the resumed
      run does not repeat the validation at the resume iteration).

    Together with MMEngine's saving of model, optimizer, scheduler and
    message hub states, a run resumed at iteration N reproduces the losses
    and weights of an uninterrupted run bit for bit on CPU (dropout and
    random data augmentation included) when the data loader has
    ``num_workers=0`` (workers are re-seeded by MMEngine's
    ``worker_init_fn`` and replay too, but that is not tested).

    Distributed runs: the checkpoint is written by rank 0, so every rank
    restores rank 0's states; this is exact when all ranks draw the same
    random numbers (the default ``randomness.diff_rank_seed=False`` with
    the same per-rank work).
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._loaded_state: Optional[Dict] = None
        self._val_state: Optional[Dict] = None

    def before_save_checkpoint(self, runner, checkpoint: Dict) -> None:
        # A checkpoint written during validation (e.g. the best one) gets
        # the states from before validation, which training continues with.
        state = self._val_state or get_rng_state()
        checkpoint['rng_state'] = state

    def after_load_checkpoint(self, runner, checkpoint: Dict) -> None:
        self._loaded_state = checkpoint.get('rng_state')

    def before_train(self, runner) -> None:
        state, self._loaded_state = self._loaded_state, None
        resumed = runner.iter > 0 or runner.epoch > 0
        if not resumed:
            return
        if state is None:
            runner.logger.warning(
                'The resumed checkpoint has no "rng_state" (written without '
                'RNGStateHook): random numbers will not replay those of an '
                'uninterrupted run.'
            )
            return
        loop = runner.train_loop
        if (
            isinstance(loop, IterBasedTrainLoop)
            and type(loop).run is IterBasedTrainLoop.run
        ):
            loop.dataloader_iterator = _RestoreAfterSkip(
                loop, loop.iter, lambda: set_rng_state(state)
            )
            runner.logger.info(
                'RNGStateHook: generator states of iteration '
                f'{loop.iter} are restored after the data loader has '
                'replayed the batches already trained on.'
            )
        else:
            set_rng_state(state)
            runner.logger.info('RNGStateHook: generator states restored.')

    def before_val(self, runner) -> None:
        self._val_state = get_rng_state()

    def after_val(self, runner) -> None:
        if self._val_state is not None:
            set_rng_state(self._val_state)
            self._val_state = None
