"""Loading checkpoints written before a model's state-dict layout changed."""

from typing import MutableMapping, Sequence, Tuple

__all__ = ['rename_legacy_keys']


def rename_legacy_keys(
    state_dict: MutableMapping,
    prefix: str,
    pairs: Sequence[Tuple[str, str]],
) -> bool:
    """Rename the keys of an old layout in place, before ``nn.Module``
    loads them.

    Every key ``prefix + old + rest`` becomes ``prefix + new + rest`` for
    the first pair ``(old, new)`` whose ``old`` it starts with; keys outside
    ``prefix`` or matching no pair are kept. Call it from
    ``_load_from_state_dict`` (which receives the whole state dict and the
    module's ``prefix``) when the old layout is detected.

    Args:
        state_dict (MutableMapping): The state dict being loaded.
        prefix (str): The module's key prefix (``''`` at the top level).
        pairs (Sequence[tuple[str, str]]): ``(old, new)`` key prefixes
            relative to ``prefix``, most specific first.

    Returns:
        bool: Whether any key was renamed.

    Examples:
        >>> sd = {'m.out_conv.weight': 1, 'm.stem.bias': 2}
        >>> rename_legacy_keys(sd, 'm.', [('out_conv.', 'head.conv.')])
        True
        >>> sorted(sd)
        ['m.head.conv.weight', 'm.stem.bias']
    """
    renamed = False
    for key in list(state_dict):
        if not key.startswith(prefix):
            continue
        rest = key[len(prefix) :]
        for old, new in pairs:
            if rest.startswith(old):
                state_dict[prefix + new + rest[len(old) :]] = state_dict.pop(
                    key
                )
                renamed = True
                break
    return renamed
