"""Registration of every module of the package."""

import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every module of mmdepthsr so that all registries are filled.

    Args:
        init_default_scope (bool): Whether to make ``mmdepthsr`` the default
            scope, so that ``type='X'`` resolves in our registries first.
            Defaults to True.
    """
    import mmdepthsr.datasets  # noqa: F401,F811
    import mmdepthsr.engine  # noqa: F401,F811
    import mmdepthsr.evaluation  # noqa: F401,F811
    import mmdepthsr.models  # noqa: F401,F811
    import mmdepthsr.structures  # noqa: F401,F811
    import mmdepthsr.visualization  # noqa: F401,F811

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or not DefaultScope.check_instance_created('mmdepthsr'):
        if current is not None and current.scope_name != 'mmdepthsr':
            warnings.warn(
                'The current default scope '
                f'"{current.scope_name}" is not "mmdepthsr"; '
                '`register_all_modules` creates a new one.',
                stacklevel=2,
            )
        name = f'mmdepthsr-{datetime.datetime.now()}'
        DefaultScope.get_instance(name, scope_name='mmdepthsr')
