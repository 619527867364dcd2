"""Check a config before the Runner is built.

MMEngine ignores top-level keys it does not know (a typo such as
``trian_dataloader`` silently trains without the intended loader or fails
much later with an unrelated message), an unregistered ``type=`` name fails
deep inside the build, and a misspelt argument of a nested module
(``model.backbone.widht``) or a string where a number belongs
(``--cfg-options train_cfg.max_iters=abc``) ends in a ``TypeError`` hundreds
of lines into the run. :func:`validate_config` reports all of them up front,
with the key path and the closest valid names.
"""

import difflib
import inspect
import re
import types
import typing
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import torch
from mmengine.registry import FUNCTIONS, Registry
from mmengine.runner import Runner
from torch import nn

from mmdepthsr import registry as mmdepthsr_registry

__all__ = ['ConfigValidationError', 'validate_config', 'VALID_TOP_LEVEL_KEYS']

#: Top-level keys read by the Runner (its arguments) or by the tools.
VALID_TOP_LEVEL_KEYS = frozenset(
    set(inspect.signature(Runner.__init__).parameters) - {'self'}
) | frozenset(
    {
        'runner_type',
        'custom_imports',
        'model_wrapper_cfg',
        'sync_bn',
        'find_unused_parameters',
        'compile',
        'activation_checkpointing',
        'efficient_conv_bn_eval',
        'gpu_ids',
        'vis_backends',
        'tta_model',
        'tta_pipeline',
        'strategy',
        'strict_load',
    }
)

#: MMCV 1.x / MMSegmentation 0.x keys that MMEngine ignores, with their
#: replacement.
LEGACY_KEYS = {
    'lr_config': 'param_scheduler',
    'optimizer_config': 'optim_wrapper',
    'runner': 'train_cfg',
    'workflow': 'train_cfg',
    'evaluation': 'val_evaluator / val_cfg',
    'checkpoint_config': 'default_hooks.checkpoint',
    'log_config': 'default_hooks.logger',
    'data': 'train_dataloader / val_dataloader / test_dataloader',
    'dist_params': 'env_cfg.dist_cfg',
    'total_iters': 'train_cfg.max_iters',
    'total_epochs': 'train_cfg.max_epochs',
    'cudnn_benchmark': 'env_cfg.cudnn_benchmark',
}

#: Name endings that only Runner keys have: a key ending so that is not a
#: Runner key is a mistake, not a helper variable.
_RUNNER_KEY_SUFFIXES = (
    '_loader',
    '_hooks',
    '_scheduler',
    '_schedulers',
    '_wrapper',
)

#: difflib ratio above which an unknown key is taken for a typo of a Runner
#: key ...
_TYPO_CUTOFF = 0.8
#: ... and, when both end with the same word, the ratio their first parts
#: need (``trian_dataloader`` is a typo of ``train_dataloader``, but
#: ``train_pipeline`` is not one of ``tta_pipeline``).
_PREFIX_CUTOFF = 0.7


#: Keys of a ``type=`` dict that the builders consume instead of passing
#: them to the constructor, by kind.
_BUILDER_KEYS = {
    'any': {'type', '_scope_', '_delete_'},
    'hook': {'priority'},
    'scheduler': {'convert_to_iter_based'},
    'initializer': {'name', 'override'},
    'optim_wrapper': {'constructor', 'paramwise_cfg'},
}

#: ``super().__init__(..., **kwargs)``: the extra keyword arguments go to the
#: next class of the MRO, whose arguments are then accepted too.
_FORWARDS_KWARGS = re.compile(
    r'super\(\s*(?:\w+\s*,\s*\w+\s*)?\)\s*\.__init__\((?:[^()]|\([^()]*\))*'
    r'\*\*(?P<name>\w+)',
    re.DOTALL,
)


class ConfigValidationError(ValueError):
    """A config names a key or a type that does not exist."""


def _registries(kind: str) -> Tuple[Registry, ...]:
    reg = mmdepthsr_registry
    table = {
        'model': (reg.MODELS,),
        'dataset': (reg.DATASETS,),
        'transform': (reg.TRANSFORMS,),
        'sampler': (reg.DATA_SAMPLERS,),
        'collate': (FUNCTIONS,),
        'evaluator': (reg.METRICS, reg.EVALUATOR),
        'loop': (reg.LOOPS,),
        'optim_wrapper': (reg.OPTIM_WRAPPERS,),
        'optimizer': (reg.OPTIMIZERS,),
        'scheduler': (reg.PARAM_SCHEDULERS,),
        'hook': (reg.HOOKS,),
        'visualizer': (reg.VISUALIZERS,),
        'vis_backend': (reg.VISBACKENDS,),
        'log_processor': (reg.LOG_PROCESSORS,),
        'model_wrapper': (reg.MODEL_WRAPPERS,),
        'initializer': (reg.WEIGHT_INITIALIZERS,),
        'runner': (reg.RUNNERS,),
        'optim_constructor': (reg.OPTIM_WRAPPER_CONSTRUCTORS,),
    }
    if kind == 'any':
        seen: Dict[int, Registry] = {}
        for registries in table.values():
            for registry in registries:
                seen[id(registry)] = registry
        for value in vars(reg).values():
            if isinstance(value, Registry):
                seen[id(value)] = value
        return tuple(seen.values())
    return table[kind]


def _top_level_kind(key: str) -> Optional[str]:
    """The kind of object a top-level key builds (None: not checked)."""
    if key in ('model', 'tta_model', 'data_preprocessor'):
        return 'model'
    if key == 'model_wrapper_cfg':
        return 'model_wrapper'
    if key.endswith('_dataloader'):
        return 'dataloader'
    if key.endswith('_evaluator'):
        return 'evaluator'
    if key in ('train_cfg', 'val_cfg', 'test_cfg'):
        return 'loop'
    if key == 'optim_wrapper':
        return 'optim_wrapper'
    if key == 'param_scheduler':
        return 'scheduler'
    if key in ('default_hooks', 'custom_hooks'):
        return 'hook'
    if key == 'visualizer':
        return 'visualizer'
    if key == 'vis_backends':
        return 'vis_backend'
    if key == 'log_processor':
        return 'log_processor'
    if key.endswith('pipeline'):
        return 'transform'
    return None


def _child_kind(kind: str, key: str) -> str:
    """The kind of the value under ``key`` of an object of ``kind``."""
    if key in ('init_cfg', 'override'):
        return 'initializer' if kind in ('model', 'initializer') else 'any'
    if kind == 'model':
        return 'model'
    if kind == 'dataloader':
        return {
            'dataset': 'dataset',
            'sampler': 'sampler',
            'batch_sampler': 'sampler',
            'collate_fn': 'collate',
        }.get(key, 'any')
    if kind == 'dataset':
        if key in ('dataset', 'datasets'):
            return 'dataset'
        return 'transform' if key == 'pipeline' else 'any'
    if kind == 'transform':
        return 'transform' if key == 'transforms' else 'any'
    if kind == 'evaluator':
        return 'evaluator' if key == 'metrics' else 'any'
    if kind == 'optim_wrapper':
        if key == 'optimizer':
            return 'optimizer'
        return 'any' if key == 'paramwise_cfg' else 'optim_wrapper'
    if kind == 'visualizer':
        return 'vis_backend' if key == 'vis_backends' else 'any'
    return 'any'


def _registered_names(registries: Iterable[Registry]) -> List[str]:
    names: List[str] = []
    for registry in registries:
        node: Optional[Registry] = registry
        while node is not None:
            names.extend(node.module_dict)
            node = node.parent
    return sorted(set(names))


def _closest(name: str, candidates: Sequence[str]) -> List[str]:
    matches = difflib.get_close_matches(name, candidates, n=3, cutoff=0.5)
    if not matches:
        lowered = name.lower()
        matches = [c for c in candidates if lowered in c.lower()][:3]
    return matches


def _format_names(names: Sequence[str]) -> str:
    return ', '.join(repr(n) for n in names) if names else '(none similar)'


def _lookup(name: str, registries: Iterable[Registry]) -> Optional[Registry]:
    for registry in registries:
        if registry.get(name) is not None:
            return registry
    return None


def _accepted_arguments(cls: type) -> Optional[Dict[str, inspect.Parameter]]:
    """The keyword arguments a class's constructor accepts, by name.

    A constructor with ``**kwargs`` is followed to the next ``__init__`` of
    the MRO when its source passes them on with ``super().__init__(...,
    **kwargs)``; ``nn.Module`` and ``object`` accept none.

    Returns:
        dict | None: ``{name: Parameter}``, or None when the accepted names
        cannot be known (``**kwargs`` used otherwise, no source).
    """
    accepted: Dict[str, inspect.Parameter] = {}
    for klass in cls.__mro__:
        if klass in (object, nn.Module):
            return accepted
        init = klass.__dict__.get('__init__')
        if init is None:
            continue
        try:
            parameters = list(inspect.signature(init).parameters.values())
        except (TypeError, ValueError):
            return None
        var_keyword = None
        for param in parameters[1:]:  # self
            if param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY):
                accepted.setdefault(param.name, param)
            elif param.kind == param.VAR_KEYWORD:
                var_keyword = param.name
        if var_keyword is None:
            return accepted
        try:
            source = inspect.getsource(init)
        except (OSError, TypeError):
            return None
        forwarded = {m['name'] for m in _FORWARDS_KWARGS.finditer(source)}
        if var_keyword not in forwarded:
            return None
    return accepted


_SCALARS = {int: 'int', float: 'float', bool: 'bool'}


def _expected_scalar(param: inspect.Parameter, hints: Dict) -> Optional[str]:
    """``'int'``, ``'float'``, ``'bool'`` or ``'number'`` when the argument
    is annotated as a scalar (``int``, ``Optional[float]``,
    ``Union[float, Tensor]`` ...); None for any other annotation."""
    annotation = hints.get(param.name, param.annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = typing.get_args(annotation)
    else:
        members = (annotation,)
    scalars = [m for m in members if m in _SCALARS]
    others = [m for m in members if m not in _SCALARS]
    if not scalars or any(m not in (type(None), torch.Tensor) for m in others):
        return None
    if len(scalars) == 1 and torch.Tensor not in others:
        return _SCALARS[scalars[0]]
    return 'number'


def _type_hints(cls: type) -> Dict:
    hints: Dict = {}
    for klass in reversed(cls.__mro__):
        init = klass.__dict__.get('__init__')
        if init is None:
            continue
        try:
            hints.update(typing.get_type_hints(init))
        except Exception:  # unresolvable string annotations
            continue
    return hints


class _TypeChecker:
    """Walks a config and records every unregistered ``type`` name, unknown
    constructor argument and string where a number belongs."""

    def __init__(self) -> None:
        self.problems: List[str] = []
        self.unregistered = False

    def resolve(self, name: Any, kind: str) -> Optional[type]:
        """The class a ``type`` value builds (None: unknown or a function)."""
        if isinstance(name, type):
            return name
        if not isinstance(name, str):
            return None
        for kinds in (kind, 'any'):
            for registry in _registries(kinds):
                obj = registry.get(name)
                if obj is not None:
                    return obj if isinstance(obj, type) else None
        return None

    def check_arguments(self, node: dict, kind: str, path: str) -> None:
        """Unknown keys and strings given for numbers, against the
        constructor of ``node['type']``."""
        cls = self.resolve(node.get('type'), kind)
        if cls is None:
            return
        accepted = _accepted_arguments(cls)
        if accepted is None:
            return
        builder_keys = _BUILDER_KEYS['any'] | _BUILDER_KEYS.get(kind, set())
        builder_keys |= set(getattr(cls, 'extra_config_keys', ()))
        hints = None
        for key, value in node.items():
            if key in builder_keys:
                continue
            if key not in accepted:
                close = difflib.get_close_matches(
                    key, list(accepted), n=1, cutoff=0.6
                )
                hint = (
                    f"did you mean '{close[0]}'?"
                    if close
                    else f'valid arguments: {", ".join(sorted(accepted))}.'
                )
                self.problems.append(
                    f'{path}.{key}: unknown argument of {cls.__name__}; {hint}'
                )
                continue
            if not isinstance(value, str):
                continue
            if hints is None:
                hints = _type_hints(cls)
            expected = _expected_scalar(accepted[key], hints)
            if expected is not None:
                self.problems.append(
                    f'{path}.{key}: {cls.__name__} expects {expected}, got '
                    f'the string {value!r}.'
                )

    def check_name(
        self, name: str, kind: str, path: str, strict: bool
    ) -> None:
        expected = _registries(kind)
        if _lookup(name, expected) is not None:
            return
        found = _lookup(name, _registries('any'))
        if found is not None and not strict:
            return
        expected_names = ' / '.join(f"'{r.name}'" for r in expected)
        closest = _closest(name, _registered_names(expected))
        if found is not None:
            self.problems.append(
                f"{path}: '{name}' is registered in the '{found.name}' "
                f'registry, but this key builds from the {expected_names} '
                f'registry. Closest names there: {_format_names(closest)}.'
            )
            return
        self.unregistered = True
        self.problems.append(
            f"{path}: type '{name}' is not registered in the "
            f'{expected_names} registry (scope mmdepthsr). Closest '
            f'registered names: {_format_names(closest)}.'
        )

    def walk(self, node: Any, kind: str, path: str, depth: int) -> None:
        if isinstance(node, dict):
            type_name = node.get('type')
            if isinstance(type_name, str) and '_scope_' not in node:
                # The head of a known key is checked against its registry;
                # nested parts of a model (and unknown places) only need to
                # exist in some registry.
                strict = kind not in ('any', 'dataloader') and not (
                    kind == 'model' and depth > 1
                )
                if kind != 'dataloader':
                    self.check_name(
                        type_name, kind, f'{path}.type', strict=strict
                    )
                    self.check_arguments(node, kind, path)
            constructor = node.get('constructor')
            if kind == 'optim_wrapper' and isinstance(constructor, str):
                self.check_name(
                    constructor,
                    'optim_constructor',
                    f'{path}.constructor',
                    strict=True,
                )
            for key, value in node.items():
                if key in ('type', '_scope_', 'constructor'):
                    continue
                self.walk(
                    value,
                    _child_kind(kind, key),
                    f'{path}.{key}',
                    depth + 1,
                )
        elif isinstance(node, (list, tuple)):
            for index, item in enumerate(node):
                self.walk(item, kind, f'{path}[{index}]', depth)


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio()


def _typo_of(key: str, valid: Sequence[str]) -> List[str]:
    """Runner keys that ``key`` looks like a misspelling of."""
    prefix, _, suffix = key.rpartition('_')
    scored = []
    for candidate in valid:
        if key.startswith(f'{candidate}_') or key.endswith(f'_{candidate}'):
            continue  # a qualified helper: test_evaluator_kitti
        c_prefix, _, c_suffix = candidate.rpartition('_')
        if prefix and c_prefix and suffix == c_suffix:
            typo = _ratio(prefix, c_prefix) >= _PREFIX_CUTOFF
        else:
            typo = _ratio(key, candidate) >= _TYPO_CUTOFF
        if typo:
            scored.append((_ratio(key, candidate), candidate))
    return [candidate for _, candidate in sorted(scored, reverse=True)][:1]


def _check_top_level_keys(cfg) -> List[str]:
    problems = []
    valid = sorted(VALID_TOP_LEVEL_KEYS)
    for key in cfg.keys():
        if key in VALID_TOP_LEVEL_KEYS or key.startswith('_'):
            continue
        if key in LEGACY_KEYS:
            problems.append(
                f"unknown top-level key '{key}': it is an MMCV 1.x / "
                f'MMSegmentation 0.x key that MMEngine ignores; use '
                f"'{LEGACY_KEYS[key]}' instead."
            )
            continue
        close = _typo_of(key, valid)
        if not close and key.endswith(_RUNNER_KEY_SUFFIXES):
            close = difflib.get_close_matches(key, valid, n=1, cutoff=0.0)
        if close:
            problems.append(
                f"unknown top-level key '{key}' (the Runner would ignore "
                f"it). Did you mean '{close[0]}'? (A helper variable whose "
                "name looks like a Runner key must start with '_'.)"
            )
    return problems


def validate_config(cfg, check_types: bool = True) -> None:
    """Raise :class:`ConfigValidationError` if ``cfg`` has mistakes.

    Checks:

    - top-level keys: a key that is not a Runner key but looks like a
      misspelling of one (difflib ratio >= 0.8, or >= 0.7 between the first
      parts when both end with the same word: ``trian_dataloader``), ends
      like one (``_loader``, ``_hooks``, ``_scheduler``, ``_wrapper``) or
      is an MMCV 1.x key (``lr_config``, ``data``, ...). Other unknown keys
      are helper variables of the config file (``crop_size``,
      ``train_pipeline``, ``nyu_val_dataloader``) and are accepted; a
      helper whose name is flagged can start with ``_``;
    - ``type=`` names (when ``check_types`` and the default scope is
      mmdepthsr): every ``type`` under the Runner's keys must be
      registered; the head of each key (``model.type``,
      ``train_dataloader.dataset.type``, every pipeline transform, hooks,
      optimizer, schedulers, metrics, loops, visualizer) in the registry
      that builds it, ``runner_type`` in RUNNERS.

    All problems are reported together, each with its key path and the
    closest valid names.

    Args:
        cfg (mmengine.Config): A loaded config (after ``--cfg-options``).
        check_types (bool): Whether to check ``type`` names. Defaults to
            True.

    Raises:
        ConfigValidationError: Listing every problem found.
    """
    problems = _check_top_level_keys(cfg)
    hint = ''
    scope = cfg.get('default_scope', 'mmdepthsr')
    if check_types and scope in (None, 'mmdepthsr'):
        checker = _TypeChecker()
        runner_type = cfg.get('runner_type')
        if isinstance(runner_type, str):
            checker.check_name(
                runner_type, 'runner', 'runner_type', strict=True
            )
        for key, value in cfg.items():
            kind = _top_level_kind(key)
            if kind is None:
                continue
            if key == 'default_hooks' and isinstance(value, dict):
                # A dict of hooks by name, not a hook.
                for name, hook in value.items():
                    checker.walk(hook, kind, f'{key}.{name}', depth=1)
            else:
                checker.walk(value, kind, key, depth=1)
        problems.extend(checker.problems)
        if checker.unregistered:
            hint = (
                '\nFor an unregistered type: check the spelling, or import '
                "the module that registers it (in-tree: its package's "
                '__init__.py; out-of-tree: custom_imports=dict(imports='
                "['my_module']) in the config)."
            )
    if problems:
        name = getattr(cfg, 'filename', None) or '<config>'
        lines = '\n'.join(f'  - {p}' for p in problems)
        raise ConfigValidationError(
            f'Invalid config {name} ({len(problems)} problem'
            f'{"s" if len(problems) > 1 else ""}):\n{lines}{hint}'
        )
