"""Mixed precision as a runtime switch (``tools/train.py --amp``).

MMEngine's ``AmpOptimWrapper`` refuses to build without a GPU (or NPU / MLU
/ MUSA), so a config that names it cannot run on a CPU machine. Configs
therefore name the plain ``OptimWrapper`` and :func:`configure_amp` picks
the wrapper at run time: ``AmpOptimWrapper`` (float16, dynamic loss scale)
on an accelerator, :class:`CPUAutocastOptimWrapper` (bfloat16 autocast, no
loss scaling needed) on CPU.
"""

from contextlib import contextmanager
from typing import Optional, Union

import torch
from mmengine.device import get_device
from mmengine.optim import OptimWrapper

from mmdepthsr.registry import OPTIM_WRAPPERS

__all__ = ['CPUAutocastOptimWrapper', 'configure_amp']

#: Devices on which MMEngine's ``AmpOptimWrapper`` can be built.
AMP_DEVICES = ('cuda', 'npu', 'mlu', 'musa')

#: Keys of ``AmpOptimWrapper`` that the CPU wrapper does not take.
_AMP_ONLY_KEYS = ('loss_scale', 'dtype', 'use_fsdp')


@OPTIM_WRAPPERS.register_module()
class CPUAutocastOptimWrapper(OptimWrapper):
    """Optimizer wrapper that runs the forward pass under CPU autocast.

    The data preprocessor, forward and loss run inside
    ``torch.autocast('cpu', dtype)``; the backward pass and the update are
    those of :class:`~mmengine.optim.OptimWrapper` (parameters and
    gradients stay float32; bfloat16 has float32's exponent range, so no
    loss scaling is needed).

    Args:
        dtype (str | torch.dtype): Autocast dtype, ``'bfloat16'`` (default)
            or ``'float16'``.
        **kwargs: Arguments of :class:`~mmengine.optim.OptimWrapper`
            (``optimizer``, ``accumulative_counts``, ``clip_grad``).
    """

    def __init__(
        self, dtype: Union[str, torch.dtype] = 'bfloat16', **kwargs
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(dtype, str):
            dtype = getattr(torch, dtype, None)
        if dtype not in (torch.bfloat16, torch.float16):
            raise ValueError(
                'CPUAutocastOptimWrapper: dtype must be "bfloat16" or '
                f'"float16", got {dtype!r}.'
            )
        self.cast_dtype = dtype

    @contextmanager
    def optim_context(self, model: torch.nn.Module):
        """The parent's context (gradient accumulation) plus autocast."""
        with (
            super().optim_context(model),
            torch.autocast(device_type='cpu', dtype=self.cast_dtype),
        ):
            yield


def configure_amp(cfg, enable: bool, device: Optional[str] = None) -> str:
    """Choose the optimizer wrapper for mixed precision.

    With ``enable`` the config's ``OptimWrapper`` becomes
    ``AmpOptimWrapper`` with ``loss_scale='dynamic'`` on an accelerator (as
    mmsegmentation's ``train.py --amp``) or :class:`CPUAutocastOptimWrapper`
    on CPU. Without ``enable`` a config that names ``AmpOptimWrapper`` on a
    CPU machine is switched to :class:`CPUAutocastOptimWrapper` (it could
    not be built otherwise).

    Args:
        cfg (mmengine.Config): The config, modified in place.
        enable (bool): Whether ``--amp`` was given.
        device (str, optional): Device type; defaults to
            :func:`mmengine.device.get_device`.

    Returns:
        str: A sentence saying which wrapper is used, to log. Empty when
        nothing was asked or changed.
    """
    optim_wrapper = cfg.get('optim_wrapper')
    if optim_wrapper is None:
        if enable:
            raise ValueError('--amp needs an `optim_wrapper` in the config.')
        return ''
    device = device or get_device()
    wrapper_type = optim_wrapper.get('type', 'OptimWrapper')
    on_accelerator = device in AMP_DEVICES
    if on_accelerator:
        if not enable:
            return ''
        if wrapper_type == 'AmpOptimWrapper':
            return 'AMP: AmpOptimWrapper is already set in the config.'
        if wrapper_type != 'OptimWrapper':
            raise ValueError(
                '--amp is only supported when optim_wrapper.type is '
                f'"OptimWrapper", got "{wrapper_type}".'
            )
        optim_wrapper['type'] = 'AmpOptimWrapper'
        optim_wrapper.setdefault('loss_scale', 'dynamic')
        return (
            f'AMP: using AmpOptimWrapper on {device} (float16 autocast, '
            f'loss_scale={optim_wrapper["loss_scale"]!r}).'
        )
    if wrapper_type == 'CPUAutocastOptimWrapper':
        return 'AMP: CPUAutocastOptimWrapper is already set in the config.'
    if wrapper_type == 'AmpOptimWrapper':
        reason = f'the config names AmpOptimWrapper but the device is {device}'
    elif enable:
        if wrapper_type != 'OptimWrapper':
            raise ValueError(
                '--amp is only supported when optim_wrapper.type is '
                f'"OptimWrapper", got "{wrapper_type}".'
            )
        reason = f'--amp without a GPU (device: {device})'
    else:
        return ''
    for key in _AMP_ONLY_KEYS:
        optim_wrapper.pop(key, None)
    optim_wrapper['type'] = 'CPUAutocastOptimWrapper'
    return (
        f'AMP: {reason}, using CPUAutocastOptimWrapper '
        "(torch.autocast('cpu', dtype=torch.bfloat16), no loss scaling)."
    )
