"""Frozen stages and frozen BN statistics for backbones."""

from typing import List

import torch.nn as nn

__all__ = ['FrozenStagesMixin']


class FrozenStagesMixin:
    """``frozen_stages`` / ``norm_eval`` behaviour shared by backbones.

    Put it before ``nn.Module`` (or ``BaseModule``) in the bases; the class
    sets ``self.norm_eval`` and implements :meth:`_frozen_modules`, and
    calls :meth:`_freeze_stages` at the end of ``__init__``. Frozen
    modules get ``requires_grad=False`` and stay in eval mode (their BN
    statistics do not move); with ``norm_eval`` every BN layer stays in
    eval mode during training while its affine parameters still train.
    """

    norm_eval: bool = False

    def _frozen_modules(self) -> List[nn.Module]:
        """The modules to freeze; none by default."""
        return []

    def _freeze_stages(self) -> None:
        for module in self._frozen_modules():
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True):
        """Set the training mode, keeping frozen stages (and every BN with
        ``norm_eval``) in eval mode.

        Args:
            mode (bool): Training (True) or evaluation mode.

        Returns:
            nn.Module: ``self``.
        """
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, nn.modules.batchnorm._BatchNorm):
                    module.eval()
        return self
