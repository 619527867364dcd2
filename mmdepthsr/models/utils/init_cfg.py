"""The ``init_cfg`` argument type of MMEngine modules and its copying."""

from typing import Dict, List, Optional, Sequence, Union

__all__ = ['InitCfg', 'copy_init_cfg']

#: One initialisation config, a sequence of them, or None.
InitCfg = Optional[Union[Dict, Sequence[Dict]]]


def copy_init_cfg(init_cfg: InitCfg) -> Optional[Union[Dict, List[Dict]]]:
    """A fresh list copy of a sequence of init configs.

    Modules keep module-level tuples of init configs as defaults;
    ``BaseModule`` accepts a dict or a list, and ``init_weights`` must not
    mutate the shared default, hence a list of copied dicts.

    Args:
        init_cfg (dict | Sequence[dict], optional): The configs.

    Returns:
        dict | list[dict] | None: ``init_cfg`` itself for a dict or None,
        else a list of copies of its dicts.
    """
    if init_cfg is None or isinstance(init_cfg, dict):
        return init_cfg
    return [dict(cfg) for cfg in init_cfg]
