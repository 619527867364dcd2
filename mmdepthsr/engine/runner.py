"""The Runner of mmdepthsr (``runner_type='DenseRunner'``)."""

from mmengine.runner import Runner

from mmdepthsr.registry import RUNNERS
from mmdepthsr.utils.checkpoint import trusted_checkpoint_loading


@RUNNERS.register_module()
class DenseRunner(Runner):
    """MMEngine's Runner, with user-chosen checkpoints loaded as trusted.

    ``resume`` and ``load_from`` name checkpoints the user picked (usually
    written by this toolbox's own training), so they are loaded inside
    :func:`~mmdepthsr.utils.trusted_checkpoint_loading`: a file that
    ``torch.load(weights_only=True)`` refuses (MMEngine's checkpoints keep
    ``HistoryBuffer`` objects in ``message_hub``) is loaded with
    ``weights_only=False`` and a logged warning. Weights loaded by the model
    itself (``init_cfg=dict(type='Pretrained')``) stay weights-only.

    All arguments are those of :class:`mmengine.runner.Runner`.
    """

    def load_or_resume(self) -> None:
        """Load or resume the checkpoint chosen by ``load_from`` /
        ``resume`` (trusted)."""
        with trusted_checkpoint_loading():
            super().load_or_resume()

    def load_checkpoint(self, filename: str, *args, **kwargs):
        """Load a user-chosen checkpoint into the model (trusted).

        Same arguments and return value as
        :meth:`mmengine.runner.Runner.load_checkpoint`.
        """
        with trusted_checkpoint_loading():
            return super().load_checkpoint(filename, *args, **kwargs)
