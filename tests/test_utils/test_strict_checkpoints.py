"""Strict weight loading, checkpoint hashes and weights-only loading of the
toolbox's own checkpoints."""

import hashlib
import pickle
from collections import OrderedDict

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import HistoryBuffer, MessageHub
from torch import nn

from mmdepthsr.apis import init_model
from mmdepthsr.registry import MODELS
from mmdepthsr.utils import (
    CheckpointMismatchError,
    UntrustedCheckpointError,
    file_sha256,
    load_checkpoint,
    load_weights,
    torch_load_checkpoint,
)
from mmdepthsr.utils import checkpoint as ckpt_utils


class _Net(nn.Module):
    def __init__(self, hidden=4, extra=False):
        super().__init__()
        self.conv = nn.Conv2d(3, hidden, 3)
        self.bn = nn.BatchNorm2d(hidden)
        if extra:
            self.extra = nn.Linear(2, 2)


@MODELS.register_module(force=True)
class StrictLoadToyNet(nn.Module):
    """A registered toy for ``init_model``."""

    def __init__(self, hidden=4):
        super().__init__()
        self.conv = nn.Conv2d(3, hidden, 3)


def _seeded(module, seed=0):
    torch.manual_seed(seed)
    for param in module.parameters():
        nn.init.normal_(param)
    return module


def test_matching_weights_load_strictly():
    source = _seeded(_Net(), seed=1)
    target = _Net()
    report = load_weights(target, source.state_dict())
    assert report == dict(missing=[], unexpected=[], mis_shaped=[], other=[])
    assert torch.equal(target.conv.weight, source.conv.weight)


def test_batchnorm_counter_may_be_missing():
    state = _Net().state_dict()
    del state['bn.num_batches_tracked']
    report = load_weights(_Net(), state)
    assert report['missing'] == []


def _mismatched_state():
    """Conv with 6 channels (mis-shaped), no `extra` (missing), one key the
    model lacks (unexpected)."""
    state = OrderedDict(_seeded(_Net(hidden=6), seed=2).state_dict())
    state['stray.weight'] = torch.zeros(1)
    return state


def test_strict_mismatch_lists_every_kind_of_key():
    with pytest.raises(CheckpointMismatchError) as exc:
        load_weights(_Net(extra=True), _mismatched_state(), source='ckpt.pth')
    message = str(exc.value)
    assert message.startswith('ckpt.pth does not match _Net:')
    assert 'missing keys (in the model, not in the checkpoint) (2): ' in (
        message
    )
    assert 'extra.weight, extra.bias' in message
    assert (
        'unexpected keys (in the checkpoint, not in the model) (1): '
        'stray.weight' in message
    )
    assert 'conv.weight: checkpoint (6, 3, 3, 3), model (4, 3, 3, 3)' in (
        message
    )
    assert 'mis-shaped keys (6)' in message  # conv w/b, bn w/b/mean/var
    assert '--non-strict' in message and 'strict=False' in message


def test_non_strict_loads_the_matching_tensors_and_warns(monkeypatch):
    logged = []
    monkeypatch.setattr(
        ckpt_utils,
        'print_log',
        lambda msg, logger=None, level=None: logged.append((msg, level)),
    )
    source = _seeded(_Net(extra=True), seed=3)
    state = OrderedDict(source.state_dict())
    state['conv.weight'] = torch.zeros(6, 3, 3, 3)
    del state['extra.bias']
    target = _Net(extra=True)
    before = target.conv.weight.clone()
    report = load_weights(target, state, strict=False, source='x.pth')
    assert report['missing'] == ['extra.bias']
    assert report['mis_shaped'] == [
        'conv.weight: checkpoint (6, 3, 3, 3), model (4, 3, 3, 3)'
    ]
    assert torch.equal(target.conv.weight, before)  # left alone
    assert torch.equal(target.conv.bias, source.conv.bias)  # loaded
    assert torch.equal(target.extra.weight, source.extra.weight)
    assert len(logged) == 1 and logged[0][1] == 30  # logging.WARNING
    assert 'extra.bias' in logged[0][0] and 'non-strict' in logged[0][0]


def test_load_checkpoint_is_strict_by_default(tmp_path):
    path = str(tmp_path / 'wide.pth')
    torch.save(dict(state_dict=_Net(hidden=6).state_dict()), path)
    with pytest.raises(CheckpointMismatchError, match='wide.pth'):
        load_checkpoint(_Net(), path)
    load_checkpoint(_Net(), path, strict=False)


def _write_config(tmp_path, hidden):
    path = tmp_path / f'toy{hidden}.py'
    path.write_text(
        f"model = dict(type='StrictLoadToyNet', hidden={hidden})\n"
    )
    return str(path)


def test_init_model_strict_and_not(tmp_path):
    ckpt = str(tmp_path / 'toy.pth')
    source = _seeded(StrictLoadToyNet(hidden=4), seed=4)
    torch.save(dict(state_dict=source.state_dict()), ckpt)
    model = init_model(_write_config(tmp_path, 4), ckpt)
    assert torch.equal(model.conv.weight, source.conv.weight)
    with pytest.raises(CheckpointMismatchError, match='conv.weight'):
        init_model(_write_config(tmp_path, 5), ckpt)
    model = init_model(_write_config(tmp_path, 5), ckpt, strict=False)
    assert model.conv.weight.shape == (5, 3, 3, 3)


def test_file_sha256_matches_hashlib(tmp_path):
    path = tmp_path / 'blob.bin'
    data = bytes(range(256)) * 5000  # more than one read block
    path.write_bytes(data)
    assert file_sha256(str(path)) == hashlib.sha256(data).hexdigest()


def test_own_message_hub_loads_weights_only_without_warning(
    tmp_path, monkeypatch, recwarn
):
    """What the Runner saves (HistoryBuffers in message_hub) loads with
    ``weights_only=True``, untrusted, and resumes the same statistics."""
    logged = []
    monkeypatch.setattr(
        ckpt_utils,
        'print_log',
        lambda msg, logger=None, level=None: logged.append((msg, level)),
    )
    hub = MessageHub('strict_ckpt_own')
    for value in (3.0, 1.0, 2.0):
        hub.update_scalar('train/loss', value)
    hub.update_scalar('train/iter_time', 5, count=2)
    path = str(tmp_path / 'own.pth')
    torch.save(
        dict(state_dict=_Net().state_dict(), message_hub=hub.state_dict()),
        path,
    )
    # Plain torch with the allow-list: nothing but allowed globals inside.
    with ckpt_utils._safe_globals_context():
        torch.load(path, weights_only=True)
    ckpt = torch_load_checkpoint(path, trusted=False)
    loaded = MessageHub('strict_ckpt_own_loaded')
    loaded.load_state_dict(ckpt['message_hub'])
    loss = loaded.get_scalar('train/loss')
    assert isinstance(loss, HistoryBuffer)
    assert loss.data[0].tolist() == [3.0, 1.0, 2.0]
    assert (loss.min(), loss.max(), loss.mean(), loss.current()) == (
        1.0,
        3.0,
        2.0,
        2.0,
    )
    assert loaded.get_scalar('train/iter_time').data[1].tolist() == [2]
    assert logged == []
    assert [w for w in recwarn if 'weights_only' in str(w.message)] == []


class _UnknownThing:
    def __init__(self):
        self.value = 1


def test_third_party_pickle_with_unknown_class_is_refused(tmp_path):
    path = str(tmp_path / 'third_party.pth')
    torch.save(
        dict(state_dict=_Net().state_dict(), extra=_UnknownThing()), path
    )
    with pytest.raises(UntrustedCheckpointError, match='_UnknownThing'):
        torch_load_checkpoint(path, trusted=False)
    with pytest.raises(pickle.UnpicklingError):
        load_checkpoint(_Net(), path, trusted=False)


def test_init_model_config_object(tmp_path):
    cfg = Config(dict(model=dict(type='StrictLoadToyNet', hidden=3)))
    ckpt = str(tmp_path / 'three.pth')
    torch.save(StrictLoadToyNet(hidden=3).state_dict(), ckpt)  # bare dict
    model = init_model(cfg, ckpt)
    assert model.conv.out_channels == 3
