"""Checkpoint loading that works with ``torch >= 2.6``.

Since torch 2.6, ``torch.load`` defaults to ``weights_only=True``: it only
unpickles tensors, containers and an allow-list of classes. MMEngine 0.10.x
still calls ``torch.load`` without ``weights_only``, so the checkpoints its
own Runner writes (their ``message_hub`` holds ``HistoryBuffer`` objects,
which pickle a ``getattr`` call) can no longer be resumed nor loaded for
inference.

This module owns the local-file loading path instead (it replaces MMEngine's
``''`` scheme of :class:`~mmengine.runner.CheckpointLoader`, so every
``load_checkpoint`` / ``init_cfg=dict(type='Pretrained')`` /
``Runner.resume`` of a local file goes through it):

1. every file is first loaded with ``weights_only=True`` inside
   ``torch.serialization.safe_globals`` with a small allow-list (numpy array
   and scalar reconstruction under their numpy 1.x and 2.x names, numpy
   dtypes, MMEngine's ``HistoryBuffer``);
2. if that fails and the load is **trusted** (a checkpoint the user chose:
   ``resume``, ``load_from``, ``tools/test.py``, the inference API — see
   :func:`trusted_checkpoint_loading`), it is loaded again with
   ``weights_only=False`` and a warning is logged;
3. an untrusted load (third-party weights such as ``init_cfg`` Pretrained)
   that fails step 1 raises :class:`UntrustedCheckpointError`, which says
   why and what to do.

:func:`strip_checkpoint` (used by ``tools/misc/publish_model.py``) reduces a
training checkpoint to ``state_dict`` + plain ``meta``, which plain
``torch.load(weights_only=True)`` reads without any allow-list.
"""

import logging
import os.path as osp
import pickle
import re
import threading
from collections import OrderedDict
from contextlib import contextmanager, nullcontext
from typing import Any, Callable, Dict, Iterator, List, Optional, Union

import numpy as np
import torch
from mmengine.logging import print_log
from mmengine.runner.checkpoint import (
    CheckpointLoader,
    _load_checkpoint_to_model,
)
from mmengine.utils import digit_version

__all__ = [
    'UntrustedCheckpointError',
    'trusted_checkpoint_loading',
    'is_checkpoint_loading_trusted',
    'checkpoint_safe_globals',
    'torch_load_checkpoint',
    'load_from_local',
    'load_checkpoint',
    'strip_checkpoint',
    'register_checkpoint_loader',
]

#: Top-level keys of a training checkpoint that are only needed to resume.
TRAINING_STATE_KEYS = ('optimizer', 'message_hub', 'param_schedulers')

_TRUST = threading.local()


class UntrustedCheckpointError(pickle.UnpicklingError):
    """A checkpoint that is not trusted cannot be loaded weights-only."""


@contextmanager
def trusted_checkpoint_loading(trusted: bool = True) -> Iterator[None]:
    """Mark the checkpoint loads of this thread as trusted (or not).

    Inside the context a local checkpoint that ``torch.load`` refuses to
    read with ``weights_only=True`` is read again with ``weights_only=False``
    (which can run arbitrary code from the file), with a logged warning.
    Use it only around files the user chose (their own resume / ``load_from``
    checkpoints), never around third-party weights.

    Args:
        trusted (bool): The trust to set inside the context. Defaults to
            True. ``False`` forces weights-only loading inside an outer
            trusted context.

    Example:
        >>> with trusted_checkpoint_loading():
        ...     runner.load_checkpoint('work_dirs/x/iter_1000.pth')
    """
    previous = getattr(_TRUST, 'trusted', False)
    _TRUST.trusted = bool(trusted)
    try:
        yield
    finally:
        _TRUST.trusted = previous


def is_checkpoint_loading_trusted() -> bool:
    """Whether the current thread is inside a trusted loading context."""
    return getattr(_TRUST, 'trusted', False)


def _numpy_safe_globals() -> List[Union[Callable, tuple]]:
    """Numpy objects that pickled arrays, scalars and dtypes refer to.

    ``numpy.core`` was renamed ``numpy._core`` in numpy 2, and a pickle names
    the module of the numpy that wrote it, so both names are allowed for the
    reconstruction functions.
    """
    try:
        multiarray = np._core.multiarray  # numpy >= 2
    except AttributeError:  # pragma: no cover - numpy 1.x
        multiarray = np.core.multiarray
    allowed: List[Union[Callable, tuple]] = [np.ndarray, np.dtype]
    # (object, name) pairs are understood by torch >= 2.6.
    aliases = digit_version(torch.__version__) >= digit_version('2.6.0')
    for name in ('_reconstruct', 'scalar'):
        func = getattr(multiarray, name)
        allowed.append(func)
        if aliases:
            for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
                allowed.append((func, f'{module}.{name}'))
    dtypes = getattr(np, 'dtypes', None)  # numpy >= 1.25
    if dtypes is not None:
        for name in dir(dtypes):
            obj = getattr(dtypes, name)
            if isinstance(obj, type) and issubclass(obj, np.dtype):
                allowed.append(obj)
    return allowed


def checkpoint_safe_globals() -> List[Union[Callable, tuple]]:
    """The allow-list used for weights-only loading of checkpoints.

    Returns:
        list: Objects (or ``(object, 'qualified.name')`` pairs) accepted by
        ``torch.serialization.safe_globals``.
    """
    from mmengine.logging import HistoryBuffer

    return [HistoryBuffer, *_numpy_safe_globals()]


def _safe_globals_context():
    safe_globals = getattr(torch.serialization, 'safe_globals', None)
    if safe_globals is None:  # pragma: no cover - torch < 2.5
        return nullcontext()
    return safe_globals(checkpoint_safe_globals())


def _unpickling_reason(err: BaseException) -> str:
    """The specific part of torch's weights-only error message (the
    refused global), without torch's generic advice."""
    text = re.sub(r'\x1b\[[0-9;]*m', '', str(err))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if 'GLOBAL' in line:
            line = line.replace('WeightsUnpickler error:', '').strip()
            return line.split('. Please use')[0].rstrip('.')
    return lines[0] if lines else type(err).__name__


def torch_load_checkpoint(
    filename: str,
    map_location: Union[str, Callable, torch.device, None] = None,
    trusted: Optional[bool] = None,
) -> Any:
    """``torch.load`` a local checkpoint, weights-only unless trusted.

    Args:
        filename (str): Path of the checkpoint file.
        map_location (str | callable | torch.device, optional): Same as in
            :func:`torch.load`.
        trusted (bool, optional): Whether a file that fails weights-only
            loading may be loaded with ``weights_only=False``. None (default)
            uses the thread's :func:`trusted_checkpoint_loading` state.

    Returns:
        The unpickled object (usually a dict).

    Raises:
        FileNotFoundError: If ``filename`` is not a file.
        UntrustedCheckpointError: If the file needs ``weights_only=False``
            but the load is not trusted.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'Checkpoint file {filename} does not exist.')
    if trusted is None:
        trusted = is_checkpoint_loading_trusted()
    try:
        with _safe_globals_context():
            return torch.load(
                filename, map_location=map_location, weights_only=True
            )
    except pickle.UnpicklingError as err:
        reason = _unpickling_reason(err)
        if not trusted:
            raise UntrustedCheckpointError(
                f'Cannot load checkpoint {filename}: it holds Python objects '
                'that torch.load(weights_only=True) refuses '
                f'({reason}), and it is not a trusted checkpoint '
                '(third-party weights, e.g. init_cfg=dict(type='
                "'Pretrained'), are loaded weights-only because "
                'weights_only=False can run arbitrary code from the file). '
                'If you trust the file, either strip it to plain weights '
                'with `python tools/misc/publish_model.py IN OUT` and load '
                'OUT, or load it as a trusted checkpoint: pass it as '
                '`load_from` / `--resume`, call '
                'mmdepthsr.utils.load_checkpoint(model, file, trusted=True), '
                'or wrap the call in `with trusted_checkpoint_loading():`.'
            ) from err
        print_log(
            f'Checkpoint {filename} cannot be loaded weights-only '
            f'({reason}); loading it with weights_only=False because it is '
            'a trusted checkpoint (resume / load_from / test / inference). '
            'Use tools/misc/publish_model.py to make a weights-only copy.',
            logger='current',
            level=logging.WARNING,
        )
        return torch.load(
            filename, map_location=map_location, weights_only=False
        )


def load_from_local(
    filename: str, map_location: Union[str, Callable, None] = None
) -> Any:
    """Local-file loader registered in MMEngine's ``CheckpointLoader``.

    The name is kept so that MMEngine logs "Loads checkpoint by local
    backend".

    Args:
        filename (str): Local checkpoint path.
        map_location (str | callable, optional): Same as in
            :func:`torch.load`.

    Returns:
        The loaded checkpoint.
    """
    return torch_load_checkpoint(filename, map_location=map_location)


def register_checkpoint_loader() -> None:
    """Make :func:`load_from_local` MMEngine's loader for local files.

    Called when this module is imported; calling it again is harmless.
    """
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local, force=True
    )


def load_checkpoint(
    model: torch.nn.Module,
    filename: str,
    map_location: Union[str, Callable, None] = 'cpu',
    strict: bool = False,
    trusted: bool = True,
    logger: Optional[str] = None,
    revise_keys: Optional[list] = None,
) -> Dict:
    """Load a checkpoint (file, URL, ``torchvision://`` ...) into a model.

    The entry point of tools and of the inference API: by default the file
    is the user's own choice and therefore trusted (see
    :func:`torch_load_checkpoint`). Pass ``trusted=False`` for files of
    unknown origin.

    Args:
        model (nn.Module): The model (a wrapped model's ``module`` is used by
            key revision ``^module\\.``).
        filename (str): Checkpoint path or URL.
        map_location (str | callable, optional): Same as in
            :func:`torch.load`. Defaults to ``'cpu'``.
        strict (bool): Whether the keys must match exactly. Defaults to
            False (missing / unexpected keys are logged).
        trusted (bool): Whether a local file that fails weights-only loading
            may be loaded with ``weights_only=False``. Defaults to True.
        logger (str, optional): Logger for the key mismatch report.
        revise_keys (list, optional): ``(pattern, replacement)`` pairs
            applied to the state-dict keys. Defaults to stripping
            ``module.``.

    Returns:
        dict: The loaded checkpoint.
    """
    if revise_keys is None:
        revise_keys = [(r'^module\.', '')]
    with trusted_checkpoint_loading(trusted):
        checkpoint = CheckpointLoader.load_checkpoint(
            filename, map_location=map_location, logger=logger or 'current'
        )
    if not isinstance(checkpoint, dict):
        raise RuntimeError(
            f'Checkpoint {filename} holds a {type(checkpoint).__name__}, '
            'expected a dict (a state dict or a dict with "state_dict").'
        )
    return _load_checkpoint_to_model(
        model, checkpoint, strict, logger, revise_keys
    )


def _to_plain(value: Any) -> Any:
    """Convert numpy values in ``meta`` to builtins (weights-only safe)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {key: _to_plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_plain(item) for item in value)
    if value is None or isinstance(
        value, (bool, int, float, str, bytes, torch.Tensor)
    ):
        return value
    return str(value)


def strip_checkpoint(checkpoint: Dict) -> Dict:
    """Keep only what inference needs: ``state_dict`` and plain ``meta``.

    Drops ``optimizer``, ``message_hub``, ``param_schedulers`` and anything
    else; numpy values in ``meta`` become lists / Python scalars, other
    non-builtin objects become strings, so that the result loads with
    ``torch.load(weights_only=True)`` and no allow-list.

    Args:
        checkpoint (dict): A training checkpoint or a bare state dict.

    Returns:
        dict: ``{'state_dict': ..., 'meta': ...}`` with CPU tensors.
    """
    if not isinstance(checkpoint, dict):
        raise TypeError(
            f'Expected a checkpoint dict, got {type(checkpoint).__name__}.'
        )
    state_dict = checkpoint.get('state_dict', checkpoint)
    weights = OrderedDict()
    for key, value in state_dict.items():
        if not isinstance(value, torch.Tensor):
            raise TypeError(
                f'state_dict entry "{key}" is a {type(value).__name__}, '
                'expected a tensor.'
            )
        weights[key] = value.detach().cpu()
    meta = _to_plain(dict(checkpoint.get('meta') or {}))
    return dict(state_dict=weights, meta=meta)


register_checkpoint_loader()
