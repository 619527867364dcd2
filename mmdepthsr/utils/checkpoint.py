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

The toolbox's own checkpoints load weights-only: importing this module makes
MMEngine's ``HistoryBuffer`` (the ``message_hub`` of a training checkpoint)
pickle as a call of the allow-listed class with its history lists, instead
of MMEngine's own state, which names its statistics methods through
``getattr`` (a global that weights-only loading rightly refuses).

Weights are loaded strictly by default (:func:`load_weights`): keys missing
from the checkpoint, keys the model does not have and tensors of another
shape raise :class:`CheckpointMismatchError`, which lists them; with
``strict=False`` the matching tensors are loaded and the rest is logged as a
warning. Key maps of models that read older checkpoint layouts (their
``_load_from_state_dict``) apply before the comparison.
"""

import copyreg
import hashlib
import logging
import os.path as osp
import pickle
import re
import threading
from collections import OrderedDict
from contextlib import contextmanager, nullcontext
from typing import (
    Any,
    Callable,
    Dict,
    Iterator,
    List,
    Optional,
    Sequence,
    Tuple,
    Union,
)

import numpy as np
import torch
from mmengine.logging import HistoryBuffer, print_log
from mmengine.model import BaseTTAModel, is_model_wrapper
from mmengine.runner.checkpoint import CheckpointLoader
from mmengine.utils import digit_version

__all__ = [
    'CheckpointMismatchError',
    'UntrustedCheckpointError',
    'trusted_checkpoint_loading',
    'is_checkpoint_loading_trusted',
    'checkpoint_safe_globals',
    'torch_load_checkpoint',
    'load_from_local',
    'load_checkpoint',
    'load_weights',
    'checkpoint_state_dict',
    'file_sha256',
    'strip_checkpoint',
    'register_checkpoint_loader',
]

#: Top-level keys of a training checkpoint that are only needed to resume.
TRAINING_STATE_KEYS = ('optimizer', 'message_hub', 'param_schedulers')

_TRUST = threading.local()


#: Keys listed per kind in a mismatch report; the rest are counted.
_MAX_LISTED_KEYS = 20

_SIZE_MISMATCH = re.compile(
    r'size mismatch for (?P<key>\S+): copying a param with shape '
    r'(?P<ckpt>.+) from checkpoint, the shape in current model is '
    r'(?P<model>.+)\.$'
)


class UntrustedCheckpointError(pickle.UnpicklingError):
    """A checkpoint that is not trusted cannot be loaded weights-only."""


class CheckpointMismatchError(RuntimeError):
    """A checkpoint's weights do not match the model (strict loading)."""


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
    return [HistoryBuffer, *_numpy_safe_globals()]


def _reduce_history_buffer(buffer: HistoryBuffer) -> tuple:
    """Pickle a ``HistoryBuffer`` as ``HistoryBuffer(logs, counts, length)``.

    Only the allow-listed class and builtin lists end up in the file. The
    statistics methods MMEngine's ``__getstate__`` adds are left out: they
    live in a class attribute that every ``HistoryBuffer`` shares and that
    ``__init__`` fills with the default ones.
    """
    return (
        HistoryBuffer,
        (
            buffer._log_history.tolist(),
            buffer._count_history.tolist(),
            buffer.max_length,
        ),
    )


def register_history_buffer_pickling() -> None:
    """Make ``HistoryBuffer`` pickle weights-only loadable (see
    :func:`_reduce_history_buffer`). Called when this module is imported."""
    copyreg.pickle(HistoryBuffer, _reduce_history_buffer)


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


def file_sha256(filename: str) -> str:
    """The SHA-256 of a file, as lowercase hex.

    Args:
        filename (str): A local file.

    Returns:
        str: 64 hexadecimal digits.
    """
    digest = hashlib.sha256()
    with open(filename, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def _shape(text: str) -> str:
    """``'torch.Size([4, 3])'`` -> ``'(4, 3)'``."""
    return text.replace('torch.Size([', '(').replace('])', ')')


def _listed(keys: List[str]) -> str:
    shown = ', '.join(keys[:_MAX_LISTED_KEYS])
    if len(keys) > _MAX_LISTED_KEYS:
        shown += f', ... ({len(keys) - _MAX_LISTED_KEYS} more)'
    return shown


def mismatch_report(
    missing: List[str],
    unexpected: List[str],
    mis_shaped: List[str],
    other: List[str],
) -> str:
    """The lines of a key mismatch report (empty when everything matches).

    Args:
        missing (list[str]): Model keys the checkpoint lacks.
        unexpected (list[str]): Checkpoint keys the model lacks.
        mis_shaped (list[str]): ``'key: checkpoint S1, model S2'`` entries.
        other (list[str]): Other errors of ``_load_from_state_dict``.

    Returns:
        str: One indented line per non-empty kind.
    """
    lines = []
    for name, keys in (
        ('missing keys (in the model, not in the checkpoint)', missing),
        ('unexpected keys (in the checkpoint, not in the model)', unexpected),
        ('mis-shaped keys', mis_shaped),
        ('other errors', other),
    ):
        if keys:
            lines.append(f'  {name} ({len(keys)}): {_listed(keys)}')
    return '\n'.join(lines)


def load_weights(
    model: torch.nn.Module,
    state_dict: Dict[str, torch.Tensor],
    strict: bool = True,
    source: str = 'the state dict',
    logger: Optional[str] = None,
) -> Dict[str, List[str]]:
    """Load a state dict into a model, strictly unless told otherwise.

    Every submodule's ``_load_from_state_dict`` runs (so the key maps of
    models that read older checkpoint layouts apply) and collects the keys
    the model lacks, the keys the checkpoint lacks and the tensors of another
    shape; ``num_batches_tracked`` of BatchNorm layers may be missing (older
    PyTorch did not save it). A wrapped model (DDP, TTA) is unwrapped.

    Args:
        model (nn.Module): The model, loaded in place.
        state_dict (dict): Parameter and buffer tensors by key.
        strict (bool): Raise on any mismatch. Defaults to True. With False
            the matching tensors are loaded and the mismatch is logged as a
            warning.
        source (str): What the weights are, for the messages (a file name).
        logger (str, optional): Logger of the warning. Defaults to
            ``'current'``.

    Returns:
        dict: ``missing``, ``unexpected``, ``mis_shaped`` and ``other``
        (lists of str; all empty when the checkpoint matches).

    Raises:
        CheckpointMismatchError: If ``strict`` and anything does not match.
    """
    while is_model_wrapper(model) or isinstance(model, BaseTTAModel):
        model = model.module
    metadata = getattr(state_dict, '_metadata', None)
    state_dict = OrderedDict(state_dict)
    if metadata is not None:
        state_dict._metadata = metadata
    missing: List[str] = []
    unexpected: List[str] = []
    errors: List[str] = []

    def load(module, local_state_dict, prefix=''):
        local_metadata = {}
        if metadata is not None:
            local_metadata = metadata.get(prefix[:-1], {})
        module._load_from_state_dict(
            local_state_dict,
            prefix,
            local_metadata,
            True,
            missing,
            unexpected,
            errors,
        )
        for name, child in module._modules.items():
            if child is not None:
                child_prefix = f'{prefix}{name}.'
                load(
                    child,
                    {
                        key: value
                        for key, value in local_state_dict.items()
                        if key.startswith(child_prefix)
                    },
                    child_prefix,
                )

    load(model, state_dict)
    missing = [key for key in missing if 'num_batches_tracked' not in key]
    mis_shaped, other = [], []
    for error in errors:
        match = _SIZE_MISMATCH.match(error.strip())
        if match is None:
            other.append(error.strip())
        else:
            mis_shaped.append(
                f'{match["key"]}: checkpoint {_shape(match["ckpt"])}, '
                f'model {_shape(match["model"])}'
            )
    report = mismatch_report(missing, unexpected, mis_shaped, other)
    if report:
        name = type(model).__name__
        if strict:
            raise CheckpointMismatchError(
                f'{source} does not match {name}:\n{report}\nLoad it anyway '
                '(the matching tensors only) with --non-strict in '
                'tools/train.py and tools/test.py, strict_load=False in a '
                'config, or strict=False in init_model / load_checkpoint.'
            )
        print_log(
            f'{source} does not match {name}; loaded the matching tensors '
            f'only (non-strict):\n{report}',
            logger=logger or 'current',
            level=logging.WARNING,
        )
    return dict(
        missing=missing,
        unexpected=unexpected,
        mis_shaped=mis_shaped,
        other=other,
    )


def checkpoint_state_dict(
    checkpoint: Dict, revise_keys: Sequence[Tuple[str, str]] = ()
) -> 'OrderedDict[str, torch.Tensor]':
    """The state dict of a checkpoint, with its keys revised.

    Args:
        checkpoint (dict): ``{'state_dict': ...}`` or a bare state dict.
        revise_keys (sequence): ``(pattern, replacement)`` regular
            expression pairs applied to every key, in order.

    Returns:
        OrderedDict: A new state dict (its ``_metadata`` kept).
    """
    state_dict = checkpoint.get('state_dict', checkpoint)
    metadata = getattr(state_dict, '_metadata', None)
    state_dict = OrderedDict(state_dict)
    for pattern, replacement in revise_keys:
        state_dict = OrderedDict(
            (re.sub(pattern, replacement, key), value)
            for key, value in state_dict.items()
        )
    if metadata is not None:
        state_dict._metadata = metadata
    return state_dict


def load_checkpoint(
    model: torch.nn.Module,
    filename: str,
    map_location: Union[str, Callable, None] = 'cpu',
    strict: bool = True,
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
        model (nn.Module): The model (a wrapped model's ``module`` is
            loaded).
        filename (str): Checkpoint path or URL.
        map_location (str | callable, optional): Same as in
            :func:`torch.load`. Defaults to ``'cpu'``.
        strict (bool): Whether the keys and shapes must match exactly
            (:func:`load_weights`). Defaults to True.
        trusted (bool): Whether a local file that fails weights-only loading
            may be loaded with ``weights_only=False``. Defaults to True.
        logger (str, optional): Logger of the non-strict mismatch warning.
        revise_keys (list, optional): ``(pattern, replacement)`` pairs
            applied to the state-dict keys. Defaults to stripping
            ``module.``.

    Returns:
        dict: The loaded checkpoint.

    Raises:
        CheckpointMismatchError: If ``strict`` and the weights do not match.
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
    load_weights(
        model,
        checkpoint_state_dict(checkpoint, revise_keys),
        strict=strict,
        source=f'Checkpoint {filename}',
        logger=logger,
    )
    return checkpoint


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
register_history_buffer_pickling()
