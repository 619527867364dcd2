"""Loading torchvision ImageNet weights into backbones with other key names.

torchvision's classification models (pytorch/vision,
``torchvision/models/alexnet.py`` and ``vgg.py``) keep their convolutions in
an ``nn.Sequential`` called ``features`` (keys ``features.<index>.weight``)
and their fully connected layers in ``classifier``. The backbones of this
package name their layers after the papers (``conv1``, ``conv3_2``, ...), so
a torchvision checkpoint needs a key map before ``load_state_dict``. The
per-architecture maps live next to their backbones (``alexnet.py``,
``vgg.py``); this module holds the checking and file loading they share.
"""

from typing import Callable, Dict, Mapping, Optional, Sequence, Tuple

import torch
import torch.nn as nn

__all__ = [
    'convert_torchvision_state_dict',
    'drop_num_batches_tracked',
    'load_torchvision_file',
    'meta_state_dict_shapes',
    'state_dict_shapes',
]


def _unwrap(state_dict: Mapping, source: str) -> Mapping:
    """Accept a plain state dict or a ``{'state_dict': ...}`` checkpoint."""
    if not isinstance(state_dict, Mapping):
        raise TypeError(
            f'{source}: expected a state dict (a mapping of tensors), got '
            f'{type(state_dict).__name__}.'
        )
    inner = state_dict.get('state_dict')
    return inner if isinstance(inner, Mapping) else state_dict


def convert_torchvision_state_dict(
    state_dict: Mapping[str, torch.Tensor],
    key_map: Mapping[str, str],
    expected_shapes: Mapping[str, Sequence[int]],
    ignored_prefixes: Sequence[str] = ('classifier.',),
    source: str = 'torchvision state dict',
    layout: str = 'torchvision',
) -> Dict[str, torch.Tensor]:
    """Rename torchvision (or other foreign) keys and check that every
    tensor fits.

    Args:
        state_dict (Mapping[str, Tensor]): torchvision-format weights, or a
            checkpoint dict holding them under ``'state_dict'``.
        key_map (Mapping[str, str]): torchvision key -> backbone key. Every
            key of the map must be present.
        expected_shapes (Mapping[str, Sequence[int]]): Backbone key -> the
            shape the backbone needs.
        ignored_prefixes (Sequence[str]): torchvision keys that are dropped
            silently (layers the backbone does not have). Defaults to the
            fully connected ``classifier.*``.
        source (str): Name of the weights in error messages (a file path).
        layout (str): Name of the key layout in error messages, e.g.
            ``'timm xception65'``. Defaults to ``'torchvision'``.

    Returns:
        dict[str, Tensor]: The tensors under the backbone's keys.

    Raises:
        ValueError: Listing every missing and every unexpected key and every
            shape mismatch, when there is at least one of them.
    """
    state_dict = _unwrap(state_dict, source)
    prefixes = tuple(ignored_prefixes)
    missing = [key for key in key_map if key not in state_dict]
    unexpected = [
        key
        for key in state_dict
        if key not in key_map and not key.startswith(prefixes)
    ]
    mismatched = []
    for tv_key, our_key in key_map.items():
        if tv_key not in state_dict:
            continue
        got = tuple(state_dict[tv_key].shape)
        want = tuple(expected_shapes[our_key])
        if got != want:
            mismatched.append(
                f'{tv_key} -> {our_key}: checkpoint {got}, expected {want}'
            )
    if missing or unexpected or mismatched:
        lines = [f'{source} does not match the {layout} layout:']
        if missing:
            lines.append('missing keys: ' + ', '.join(missing))
        if unexpected:
            lines.append('unexpected keys: ' + ', '.join(unexpected))
        if mismatched:
            lines.append('shape mismatches: ' + '; '.join(mismatched))
        raise ValueError('\n'.join(lines))
    return {our: state_dict[tv] for tv, our in key_map.items()}


def drop_num_batches_tracked(
    state_dict: Mapping[str, torch.Tensor],
) -> Dict[str, torch.Tensor]:
    """Remove BN ``num_batches_tracked`` counters (absent from older
    checkpoints, present in newer ones; not needed for inference).

    Args:
        state_dict (Mapping[str, Tensor]): Weights, or a checkpoint dict
            holding them under ``'state_dict'``.

    Returns:
        dict[str, Tensor]: The weights without the counters.
    """
    inner = state_dict.get('state_dict')
    if isinstance(inner, Mapping):
        state_dict = inner
    return {
        k: v
        for k, v in state_dict.items()
        if not k.endswith('num_batches_tracked')
    }


def load_torchvision_file(
    path: str, map_location: Optional[str] = 'cpu'
) -> Mapping[str, torch.Tensor]:
    """Read a torchvision ``.pth`` file with ``weights_only=True``.

    Args:
        path (str): Local checkpoint file, e.g. ``vgg16-397923af.pth`` as
            published by torchvision.
        map_location (str, optional): Passed to :func:`torch.load`.
            Defaults to ``'cpu'``.

    Returns:
        Mapping[str, Tensor]: The state dict stored in the file.
    """
    return torch.load(path, map_location=map_location, weights_only=True)


def state_dict_shapes(module: nn.Module) -> Dict[str, Tuple[int, ...]]:
    """Shapes of a module's state dict, BN ``num_batches_tracked`` left out.

    Args:
        module (nn.Module): The module.

    Returns:
        dict[str, tuple[int]]: Key -> shape of every parameter and buffer
        but the BN step counters (absent from older torchvision files).
    """
    return {
        key: tuple(value.shape)
        for key, value in module.state_dict().items()
        if not key.endswith('num_batches_tracked')
    }


def meta_state_dict_shapes(
    build: Callable[..., nn.Module], **kwargs
) -> Dict[str, Tuple[int, ...]]:
    """:func:`state_dict_shapes` of a module built on the meta device.

    No memory is allocated, so the shapes of a large backbone cost nothing.

    Args:
        build (Callable[..., nn.Module]): Backbone class (or factory).
        **kwargs: Its arguments, e.g. the torchvision widths.

    Returns:
        dict[str, tuple[int]]: Key -> shape.
    """
    with torch.device('meta'):
        return state_dict_shapes(build(**kwargs))
