"""The Runner of mmdepthsr (``runner_type='DenseRunner'``)."""

import copy
from typing import Dict, Optional, Union

from mmengine.device import get_device
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint
from torch.utils.data import DataLoader

from mmdepthsr.registry import DATA_SAMPLERS, RUNNERS
from mmdepthsr.utils.checkpoint import (
    checkpoint_state_dict,
    load_weights,
    trusted_checkpoint_loading,
)


@RUNNERS.register_module()
class DenseRunner(Runner):
    """MMEngine's Runner, with user-chosen checkpoints loaded as trusted.

    ``resume`` and ``load_from`` name checkpoints the user picked (usually
    written by this toolbox's own training), so they are loaded inside
    :func:`~mmdepthsr.utils.trusted_checkpoint_loading`. The checkpoints
    this toolbox writes load weights-only (see
    :mod:`mmdepthsr.utils.checkpoint`); a file that
    ``torch.load(weights_only=True)`` refuses (one written by plain MMEngine,
    whose ``message_hub`` pickles a ``getattr`` call) is loaded with
    ``weights_only=False`` and a logged warning. Weights loaded by the model
    itself (``init_cfg=dict(type='Pretrained')``) stay weights-only.

    ``load_from``, ``resume`` and ``tools/test.py`` load the weights
    strictly (:func:`~mmdepthsr.utils.load_weights`): a checkpoint with
    missing, unexpected or mis-shaped keys stops the run with a
    :class:`~mmdepthsr.utils.CheckpointMismatchError` listing them, unless
    the config sets ``strict_load = False`` (``--non-strict`` of the
    tools), which loads the matching tensors and logs the rest.

    In a distributed run a model without trainable parameters (such as
    ``BicubicBaseline``) is not wrapped in ``DistributedDataParallel``,
    which refuses it: each process runs the bare model on its share of the
    data (:meth:`wrap_model`).

    Data loaders are built by :meth:`build_dataloader`, which tells a
    :class:`~mmdepthsr.datasets.GridPatchSampler` the loader's batch size
    and number of workers.

    All arguments are those of :class:`mmengine.runner.Runner`.
    """

    @staticmethod
    def build_dataloader(
        dataloader: Union[DataLoader, Dict],
        seed: Optional[int] = None,
        diff_rank_seed: bool = False,
    ) -> DataLoader:
        """MMEngine's ``Runner.build_dataloader``, after
        :func:`fill_sampler_loader_args`."""
        if isinstance(dataloader, dict):
            dataloader = fill_sampler_loader_args(dataloader)
        return Runner.build_dataloader(
            dataloader, seed=seed, diff_rank_seed=diff_rank_seed
        )

    def wrap_model(self, model_wrapper_cfg: Optional[Dict], model):
        """MMEngine's ``Runner.wrap_model``, except that a distributed run
        leaves a model without trainable parameters unwrapped (on the
        device); there is no gradient for DDP to synchronise."""
        trainable = any(p.requires_grad for p in model.parameters())
        if self.distributed and not trainable and not is_model_wrapper(model):
            self.logger.info(
                f'{type(model).__name__} has no trainable parameters: not '
                'wrapped in DistributedDataParallel.'
            )
            return model.to(get_device())
        return super().wrap_model(model_wrapper_cfg, model)

    def load_or_resume(self) -> None:
        """Load or resume the checkpoint chosen by ``load_from`` /
        ``resume`` (trusted)."""
        with trusted_checkpoint_loading():
            super().load_or_resume()

    def load_checkpoint(
        self,
        filename: str,
        map_location='cpu',
        strict: Optional[bool] = None,
        revise_keys=((r'^module\.', ''),),
    ) -> Dict:
        """Load a user-chosen checkpoint into the model (trusted, strict).

        Also the first step of :meth:`resume`.

        Args:
            filename (str): Checkpoint path or URL.
            map_location (str | torch.device): Same as in
                :func:`torch.load`. Defaults to ``'cpu'``.
            strict (bool, optional): Whether keys and shapes must match.
                None (default): the config's ``strict_load`` (True when
                absent).
            revise_keys (sequence): ``(pattern, replacement)`` pairs applied
                to the state-dict keys. Defaults to stripping ``module.``.

        Returns:
            dict: The loaded checkpoint.

        Raises:
            CheckpointMismatchError: If loading is strict and the weights
                do not match the model.
        """
        if strict is None:
            strict = bool(self.cfg.get('strict_load', True))
        with trusted_checkpoint_loading():
            checkpoint = _load_checkpoint(filename, map_location=map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        load_weights(
            self.model,
            checkpoint_state_dict(checkpoint, revise_keys),
            strict=strict,
            source=f'Checkpoint {filename}',
            logger=self.logger.instance_name,
        )
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint


def fill_sampler_loader_args(dataloader: Dict) -> Dict:
    """Give a sampler that deals batches to workers the loader's layout.

    A sampler class with the attribute ``needs_loader_args = True`` (e.g.
    :class:`~mmdepthsr.datasets.GridPatchSampler`) gets ``batch_size`` and
    ``num_workers`` from the data loader config, unless its own config
    sets them.

    Args:
        dataloader (dict): A data loader config (not modified).

    Returns:
        dict: The config, a copy with the sampler arguments filled in when
        any were missing.
    """
    sampler = dataloader.get('sampler')
    if not isinstance(sampler, dict):
        return dataloader
    sampler_type = sampler.get('type')
    if isinstance(sampler_type, str):
        sampler_type = DATA_SAMPLERS.get(sampler_type)
    if not getattr(sampler_type, 'needs_loader_args', False):
        return dataloader
    missing = {
        key: dataloader.get(key, default)
        for key, default in (('batch_size', 1), ('num_workers', 0))
        if key not in sampler
    }
    if not missing:
        return dataloader
    dataloader = copy.deepcopy(dataloader)
    dataloader['sampler'].update(missing)
    return dataloader
