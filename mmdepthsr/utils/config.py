"""Config loading shared by the tools."""

import os.path as osp
import sys
from typing import Optional

from mmengine.config import Config


def exit_if_config_missing(path: str) -> None:
    """End a tool with one line and exit status 2 when ``path`` is not a
    file (instead of a traceback from deep inside the config loader).

    Args:
        path (str): The config file given on the command line.
    """
    if not osp.isfile(path):
        sys.stderr.write(f'error: config file not found: {path}\n')
        sys.exit(2)


def load_config(
    path: str,
    cfg_options: Optional[dict] = None,
    work_dir: Optional[str] = None,
) -> Config:
    """Load a config, apply ``--cfg-options`` and settle the work dir.

    The work dir is, in order: ``work_dir`` if given, the config's own
    ``work_dir``, else ``./work_dirs/<config file name>``.

    Args:
        path (str): Config file.
        cfg_options (dict, optional): ``key=value`` overrides.
        work_dir (str, optional): Work dir given on the command line.

    Returns:
        Config: The merged config.
    """
    cfg = Config.fromfile(path)
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join(
            './work_dirs', osp.splitext(osp.basename(path))[0]
        )
    return cfg
