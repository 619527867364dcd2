"""Inference switches (autocast, channels-last, torch.compile) give the
float32 predictions within the tolerance of their number format.

Tolerances: a bfloat16 number has 8 significant bits (7 stored + the
implicit one), so one rounding changes a value by at most 2^-8 of itself
(float16: 11 bits, 2^-11). The tiny model rounds its input, two weight
tensors and two conv outputs: 4 x 2^-p of the output's range bounds the
difference; a difference of exactly 0 would mean autocast did nothing.
Channels-last and compiled runs only reorder float32 sums: 1e-5.
"""

import os.path as osp
import sys

import numpy as np
import pytest
import torch

from mmdepthsr.apis import (
    apply_inference_switches,
    inference_model,
    init_model,
    synthetic_batch,
)
from mmdepthsr.apis import inference_switches as switches_module
from mmdepthsr.registry import MODELS

TINY_DIR = osp.dirname(osp.abspath(__file__))
if TINY_DIR not in sys.path:
    sys.path.insert(0, TINY_DIR)

import _tiny_conv_depth  # noqa: E402

SHAPE = (24, 32)
#: Significant bits (with the implicit one) of each autocast format.
MANTISSA_BITS = dict(bf16=8, fp16=11)


def autocast_tolerance(amp, reference):
    """4 roundings of 2^-p, relative to the largest output."""
    return 4 * 2.0 ** -MANTISSA_BITS[amp] * float(reference.abs().max())


def build_tiny():
    return MODELS.build(
        dict(
            type='TinyConvDepthToy',
            data_preprocessor=dict(
                type='DenseDataPreprocessor', mean=[128.0] * 3, std=[64.0] * 3
            ),
        )
    ).eval()


def predict(model):
    batch = synthetic_batch(model, SHAPE, batch_size=2, seed=3)
    with torch.no_grad():
        results = model.test_step(batch)
    return torch.stack([r.pred_depth.data for r in results])


@pytest.mark.parametrize('amp', ['bf16', 'fp16'])
def test_autocast_matches_float32_within_the_format(amp):
    reference = predict(build_tiny())
    model = build_tiny()
    record = apply_inference_switches(model, amp=amp)
    assert record == dict(amp=amp, channels_last=False, compile=False)
    assert model.inference_switches == record
    seen = []
    model.conv2.register_forward_hook(lambda m, a, out: seen.append(out.dtype))
    pred = predict(model)
    assert seen == [switches_module.AMP_DTYPES[amp]]
    assert pred.dtype == torch.float32  # cast back for the metrics
    diff = float((pred - reference).abs().max())
    assert 0 < diff <= autocast_tolerance(amp, reference)
    # parameters stay float32
    assert model.conv1.weight.dtype == torch.float32


def test_channels_last_matches_float32():
    reference = predict(build_tiny())
    model = build_tiny()
    apply_inference_switches(model, channels_last=True)
    layouts = []
    model.conv1.register_forward_pre_hook(
        lambda m, args: layouts.append(
            (
                args[0].is_contiguous(memory_format=torch.channels_last),
                args[0].is_contiguous(),
            )
        )
    )
    pred = predict(model)
    assert layouts == [(True, False)]
    assert model.conv1.weight.is_contiguous(memory_format=torch.channels_last)
    assert not model.conv1.weight.is_contiguous()
    assert float((pred - reference).abs().max()) <= 1e-5


def test_switch_errors(monkeypatch):
    model = build_tiny()
    with pytest.raises(ValueError, match="one of \\['bf16', 'fp16'\\]"):
        apply_inference_switches(model, amp='fp8')
    apply_inference_switches(model, channels_last=True)
    with pytest.raises(RuntimeError, match='already applied'):
        apply_inference_switches(model, amp='bf16')
    # A dtype that CPU autocast does not take (torch warns and runs float32)
    # is refused instead.
    monkeypatch.setitem(switches_module.AMP_DTYPES, 'fp64', torch.float64)
    with pytest.raises(ValueError, match='does not support torch.float64'):
        apply_inference_switches(build_tiny(), amp='fp64')


@pytest.fixture
def tiny_config(tmp_path):
    path = tmp_path / 'tiny_conv_depth.py'
    path.write_text(_tiny_conv_depth.tiny_config_text())
    return str(path)


def _rgb(seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (*SHAPE, 3), dtype=np.uint8)


def _infer(model):
    return torch.stack(
        [r.pred_depth.data for r in inference_model(model, [_rgb(0), _rgb(1)])]
    )


@pytest.mark.filterwarnings('ignore:init_model')
def test_init_model_switches(tiny_config):
    reference = _infer(init_model(tiny_config))
    model = init_model(tiny_config, amp='bf16', channels_last=True)
    assert model.inference_switches == dict(
        amp='bf16', channels_last=True, compile=False
    )
    pred = _infer(model)
    assert pred.dtype == torch.float32
    diff = float((pred - reference).abs().max())
    assert 0 < diff <= autocast_tolerance('bf16', reference)
    pred = _infer(init_model(tiny_config, channels_last=True))
    assert float((pred - reference).abs().max()) <= 1e-5


@pytest.mark.slow  # compiles the tiny model (about 10 s on 2 cores)
@pytest.mark.filterwarnings('ignore:init_model')
def test_init_model_compile(tiny_config):
    from torch._dynamo.utils import counters

    reference = _infer(init_model(tiny_config))
    counters.clear()
    model = init_model(tiny_config, compile=True)
    pred = _infer(model)
    assert counters['stats']['unique_graphs'] >= 1  # the compiled path ran
    assert model.inference_switches['compile'] is True
    assert float((pred - reference).abs().max()) <= 1e-5
