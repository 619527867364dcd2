from .checkpoint import (
    CheckpointMismatchError,
    UntrustedCheckpointError,
    file_sha256,
    is_checkpoint_loading_trusted,
    load_checkpoint,
    load_weights,
    strip_checkpoint,
    torch_load_checkpoint,
    trusted_checkpoint_loading,
)
from .config import exit_if_config_missing, load_config
from .dist import close_distributed, init_distributed, setup_distributed
from .machine import cpu_model, device_name
from .setup_env import register_all_modules

__all__ = [
    'register_all_modules',
    'load_config',
    'exit_if_config_missing',
    'CheckpointMismatchError',
    'UntrustedCheckpointError',
    'file_sha256',
    'is_checkpoint_loading_trusted',
    'load_checkpoint',
    'load_weights',
    'strip_checkpoint',
    'torch_load_checkpoint',
    'trusted_checkpoint_loading',
    'close_distributed',
    'init_distributed',
    'setup_distributed',
    'cpu_model',
    'device_name',
]
