"""Unit tests of RNGStateHook and its state helpers."""

import io
import random
from types import SimpleNamespace

import numpy as np
import torch

from mmdepthsr.engine import RNGStateHook, get_rng_state, set_rng_state
from mmdepthsr.engine.rng_state_hook import _RestoreAfterSkip


def _draw():
    return (random.random(), float(np.random.rand()), float(torch.rand(1)))


def test_state_round_trip():
    random.seed(1)
    np.random.seed(2)
    torch.manual_seed(3)
    np.random.randn()  # leaves a cached gaussian in numpy's state
    state = get_rng_state()
    first = _draw()
    _draw()
    set_rng_state(state)
    assert _draw() == first


def test_state_is_weights_only_loadable():
    state = get_rng_state()
    buffer = io.BytesIO()
    torch.save(dict(rng_state=state), buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=True)['rng_state']
    first = _draw()
    set_rng_state(loaded)
    assert _draw() == first


def test_restore_after_skip():
    restored = []
    loop = SimpleNamespace(dataloader_iterator=iter(range(10)))
    proxy = _RestoreAfterSkip(loop, 3, lambda: restored.append(True))
    loop.dataloader_iterator = proxy
    assert [next(proxy) for _ in range(3)] == [0, 1, 2]
    assert restored == []
    assert next(proxy) == 3
    assert restored == [True]
    # The proxy hands the plain iterator back to the loop.
    assert loop.dataloader_iterator is not proxy
    assert next(loop.dataloader_iterator) == 4


def test_validation_is_isolated_and_checkpoint_gets_pre_val_state():
    hook = RNGStateHook()
    runner = SimpleNamespace()
    torch.manual_seed(0)
    hook.before_val(runner)
    expected = torch.rand(1)
    torch.manual_seed(0)
    hook.before_val(runner)
    torch.rand(5)  # validation draws
    checkpoint = {}
    hook.before_save_checkpoint(runner, checkpoint)  # e.g. best checkpoint
    hook.after_val(runner)
    assert torch.equal(torch.rand(1), expected)
    set_rng_state(checkpoint['rng_state'])
    assert torch.equal(torch.rand(1), expected)
