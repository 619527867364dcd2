"""Helpers for hooks that freeze parts of a model during training.

A hook that changes which parameters train while the optimizer stays the
same (:class:`~mmdepthsr.engine.StagedTrainingHook`,
:class:`~mmdepthsr.engine.AlternatingTrainingHook`) needs the same few
steps: find parameters by module path, switch ``requires_grad`` and drop
the gradients of the frozen ones (an optimizer skips a parameter whose
``grad`` is None, so neither momentum nor weight decay moves it), keep the
frozen modules in eval mode, and check that every parameter some phase
trains is in the optimizer.
"""

from typing import Iterable, List, Sequence, Set, Tuple

from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapperDict
from torch import nn

__all__ = [
    'count_trainable',
    'frozen_modules',
    'matches_prefix',
    'missing_from_optimizer',
    'optimizer_param_ids',
    'set_trainable',
    'unmatched_prefixes',
    'unwrap_model',
]


def matches_prefix(name: str, prefixes: Sequence[str]) -> bool:
    """Whether a parameter / module name lies under one of the prefixes.

    A prefix names a module path: ``'coarse_head'`` matches
    ``'coarse_head'`` and ``'coarse_head.fc6.weight'`` but not
    ``'coarse_head2.weight'``.

    Args:
        name (str): Dotted name, as given by ``named_parameters()``.
        prefixes (Sequence[str]): Dotted module paths.

    Returns:
        bool: True if ``name`` equals a prefix or starts with ``prefix.``.
    """
    return any(name == p or name.startswith(p + '.') for p in prefixes)


def unwrap_model(model: nn.Module) -> nn.Module:
    """The model inside a model wrapper (``model.module`` of DDP), else the
    model itself."""
    return model.module if is_model_wrapper(model) else model


def unmatched_prefixes(model: nn.Module, prefixes: Iterable[str]) -> List[str]:
    """The prefixes under which ``model`` has no parameter.

    Args:
        model (nn.Module): The (unwrapped) model.
        prefixes (Iterable[str]): Dotted module paths.

    Returns:
        list[str]: The prefixes that match no parameter name, in order.
    """
    names = [n for n, _ in model.named_parameters()]
    return [
        p for p in prefixes if not any(matches_prefix(n, (p,)) for n in names)
    ]


def set_trainable(model: nn.Module, trainable: Set[str]) -> None:
    """Train exactly the parameters named in ``trainable``.

    Every other parameter gets ``requires_grad=False`` and ``grad=None``,
    so that the optimizer skips it: a zero gradient instead of None would
    still let momentum and weight decay move it.

    Args:
        model (nn.Module): The (unwrapped) model.
        trainable (set[str]): Names as given by ``named_parameters()``.
    """
    for name, param in model.named_parameters():
        train = name in trainable
        param.requires_grad_(train)
        if not train:
            param.grad = None


def frozen_modules(model: nn.Module, frozen: Set[str]) -> List[nn.Module]:
    """The outermost submodules whose parameters are all in ``frozen``.

    Putting these in eval mode before every iteration (the train loop calls
    ``model.train()`` each iteration) keeps the BatchNorm statistics of a
    frozen part fixed and its dropout off; a module without parameters is
    covered by the frozen module that contains it.

    Args:
        model (nn.Module): The (unwrapped) model.
        frozen (set[str]): Names of the frozen parameters.

    Returns:
        list[nn.Module]: The modules, in registration order; the model
        itself is never among them.
    """
    found = []

    def visit(module: nn.Module, prefix: str) -> None:
        for child_name, child in module.named_children():
            path = f'{prefix}{child_name}'
            names = [n for n, _ in child.named_parameters(prefix=path)]
            if names and all(n in frozen for n in names):
                found.append(child)
            elif names:
                visit(child, path + '.')

    visit(model, '')
    return found


def optimizer_param_ids(optim_wrapper) -> Set[int]:
    """The ``id`` of every parameter in the optimizer(s) of a wrapper.

    Args:
        optim_wrapper (OptimWrapper | OptimWrapperDict): The runner's
            optimizer wrapper.

    Returns:
        set[int]: Ids of the parameters of all parameter groups.
    """
    wrappers = (
        list(optim_wrapper.values())
        if isinstance(optim_wrapper, OptimWrapperDict)
        else [optim_wrapper]
    )
    return {
        id(p)
        for w in wrappers
        for group in w.optimizer.param_groups
        for p in group['params']
    }


def missing_from_optimizer(model: nn.Module, optim_wrapper) -> List[str]:
    """Names of the trainable parameters that the optimizer does not hold.

    The optimizer is built once, before training; a parameter that was
    frozen then is missing from it when MMEngine's default constructor
    applied a ``paramwise_cfg`` (see
    :class:`~mmdepthsr.engine.StagedOptimWrapperConstructor`).

    Args:
        model (nn.Module): The (unwrapped) model, with ``requires_grad`` set
            as in the phase to check.
        optim_wrapper (OptimWrapper | OptimWrapperDict): The runner's
            optimizer wrapper.

    Returns:
        list[str]: Parameter names, in registration order.
    """
    in_optimizer = optimizer_param_ids(optim_wrapper)
    return [
        n
        for n, p in model.named_parameters()
        if p.requires_grad and id(p) not in in_optimizer
    ]


def count_trainable(model: nn.Module) -> Tuple[int, int]:
    """Numbers of trainable and of all parameter elements of ``model``."""
    params = list(model.parameters())
    trainable = sum(p.numel() for p in params if p.requires_grad)
    return trainable, sum(p.numel() for p in params)
