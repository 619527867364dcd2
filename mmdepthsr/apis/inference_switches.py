"""Inference switches: mixed precision, channels-last memory and
``torch.compile``.

One function, :func:`apply_inference_switches`, sets them on a built model;
``tools/test.py``, ``tools/analysis_tools/benchmark.py`` and
:func:`~mmdepthsr.apis.init_model` call it, and
:func:`add_inference_arguments` gives the tools the same command-line
options (``--amp [bf16|fp16]``, ``--channels-last``, ``--compile``).

- ``amp``: the model's ``test_step`` (data preprocessor, network and
  post-processing) runs inside ``torch.autocast(device_type, dtype)``;
  floating ``PixelData`` fields of the returned samples are cast back to
  float32, so metrics and saved predictions are computed in float32 from
  the lower-precision outputs. ``bf16`` (the default of a bare ``--amp``)
  has float32's exponent range, so no value overflows; ``fp16`` has 3 more
  mantissa bits but overflows above 65504. Parameters stay float32.
- ``channels_last``: the parameters and the preprocessed input batch are
  stored channels-last (``(N, C, H, W)`` tensors with ``C`` as the
  fastest-varying dimension), which the convolutions of oneDNN (CPU) and
  cuDNN with tensor cores prefer; the numbers are those of the default
  layout up to float rounding.
- ``compile``: ``model.compile()`` (:meth:`torch.nn.Module.compile`, in
  place, keeping the state-dict keys) compiles the estimator's ``forward``,
  the call through which ``test_step`` runs ``predict``. The first call of
  each input shape compiles (minutes for a full network on a CPU); later
  calls reuse the compiled code.
"""

import argparse
import functools
import warnings
from typing import Optional

import torch
from mmengine.structures import PixelData

__all__ = [
    'AMP_DTYPES',
    'apply_inference_switches',
    'add_inference_arguments',
]

#: ``--amp`` values and their autocast dtypes.
AMP_DTYPES = {'bf16': torch.bfloat16, 'fp16': torch.float16}


def _device_type(module: torch.nn.Module) -> str:
    """Device type of the first parameter or buffer (``'cpu'`` if none)."""
    for tensor in module.parameters():
        return tensor.device.type
    for tensor in module.buffers():
        return tensor.device.type
    return 'cpu'


def _check_autocast(device_type: str, amp: str) -> None:
    """Refuse an autocast dtype that the device does not support (torch
    then warns and silently runs in float32)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        with torch.autocast(device_type=device_type, dtype=AMP_DTYPES[amp]):
            pass
    if caught:
        raise ValueError(
            f'--amp {amp}: torch {torch.__version__} does not support '
            f'{AMP_DTYPES[amp]} autocast on {device_type} '
            f'({caught[0].message}); use --amp bf16 or no --amp.'
        )


def _float32_predictions(samples):
    """Cast the floating ``PixelData`` fields of the samples that autocast
    left in a lower precision back to float32, in place."""
    for sample in samples:
        for value in sample.values():
            if not isinstance(value, PixelData):
                continue
            for key, data in value.items():
                if (
                    isinstance(data, torch.Tensor)
                    and data.is_floating_point()
                    and data.dtype != torch.float32
                ):
                    value.set_field(data.float(), key)
    return samples


def _channels_last_inputs(module, args, output):
    """Forward hook of the data preprocessor: channels-last input batch."""
    inputs = output.get('inputs')
    if isinstance(inputs, torch.Tensor) and inputs.dim() == 4:
        output['inputs'] = inputs.contiguous(memory_format=torch.channels_last)
    return output


def apply_inference_switches(
    model: torch.nn.Module,
    amp: Optional[str] = None,
    channels_last: bool = False,
    compile: bool = False,
) -> dict:
    """Set the inference switches on a model, in place.

    Apply them once, after the model is on its device (before or after the
    checkpoint is loaded: loading copies into the parameters and keeps their
    memory format). A wrapped model (``model.module``) is switched inside
    the wrapper.

    Args:
        model (nn.Module): An estimator (``test_step``,
            ``data_preprocessor``), or a wrapper of one.
        amp (str, optional): ``'bf16'`` or ``'fp16'`` autocast of
            ``test_step``. Defaults to None (float32).
        channels_last (bool): Channels-last parameters and input batch.
            Defaults to False.
        compile (bool): ``torch.compile`` the estimator's ``forward``.
            Defaults to False.

    Returns:
        dict: ``amp``, ``channels_last``, ``compile`` as applied (also
        stored as ``model.inference_switches``; the tools write it into
        their results).

    Raises:
        ValueError: If ``amp`` is unknown or its dtype has no autocast on
            the model's device.
        RuntimeError: If switches were already applied to the model (apply
            them once).
    """
    module = getattr(model, 'module', model)
    name = type(module).__name__
    if amp is not None and amp not in AMP_DTYPES:
        raise ValueError(
            f'{name}: amp must be None or one of {sorted(AMP_DTYPES)}, got '
            f'{amp!r}.'
        )
    previous = getattr(module, 'inference_switches', None) or {}
    if any(previous.values()):
        raise RuntimeError(
            f'{name}: inference switches already applied '
            f'({module.inference_switches}); apply them once.'
        )
    switches = dict(
        amp=amp, channels_last=bool(channels_last), compile=bool(compile)
    )
    if amp is not None:
        _check_autocast(_device_type(module), amp)
        test_step = module.test_step

        @functools.wraps(test_step)
        def autocast_test_step(data):
            with torch.autocast(
                device_type=_device_type(module), dtype=AMP_DTYPES[amp]
            ):
                results = test_step(data)
            return _float32_predictions(results)

        module.test_step = autocast_test_step
    if channels_last:
        module.to(memory_format=torch.channels_last)
        module.data_preprocessor.register_forward_hook(_channels_last_inputs)
    if compile:
        module.compile()
    module.inference_switches = switches
    return switches


def add_inference_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--amp [bf16|fp16]``, ``--channels-last`` and ``--compile``
    (see :func:`apply_inference_switches`) to a tool's parser.

    A bare ``--amp`` means ``bf16``; give it after the positional arguments
    (or with a value), as it would take the next word as its value.
    """
    parser.add_argument(
        '--amp',
        nargs='?',
        const='bf16',
        choices=sorted(AMP_DTYPES),
        help='autocast inference in bf16 (default of a bare --amp) or fp16; '
        'predictions are cast back to float32',
    )
    parser.add_argument(
        '--channels-last',
        action='store_true',
        help='channels-last memory format for parameters and inputs',
    )
    parser.add_argument(
        '--compile',
        action='store_true',
        help="torch.compile the model's forward (the first batch of each "
        'shape compiles)',
    )
