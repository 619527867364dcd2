"""Checkpoint loading under torch >= 2.6 (weights_only by default)."""

import copyreg
import os
import threading
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.model import BaseModule
from mmengine.runner.checkpoint import CheckpointLoader, _load_checkpoint
from torch import nn

from mmdepthsr.utils import (
    UntrustedCheckpointError,
    is_checkpoint_loading_trusted,
    load_checkpoint,
    strip_checkpoint,
    trusted_checkpoint_loading,
)
from mmdepthsr.utils import checkpoint as ckpt_utils


class _Net(BaseModule):
    def __init__(self, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.fc = nn.Linear(3, 2)


def _weights(seed=0):
    torch.manual_seed(seed)
    return OrderedDict(_Net().state_dict())


def _plain_checkpoint(path):
    """Tensors plus numpy values in meta: weights-only loadable with our
    allow-list (numpy 2 names), not without."""
    meta = dict(
        iter=3,
        palette=np.array([[0, 0, 0], [255, 0, 0]], dtype=np.uint8),
        scale=np.float64(0.5),
    )
    torch.save(dict(state_dict=_weights(), meta=meta), path)
    return str(path)


def _runner_like_checkpoint(path):
    """What MMEngine's Runner writes without mmdepthsr's pickling of
    ``HistoryBuffer`` (checkpoints of older versions): a message hub whose
    HistoryBuffers name their statistics methods through ``getattr``."""
    hub = MessageHub('ckpt_test')
    hub.update_scalar('train/loss', 1.5)
    reducer = copyreg.dispatch_table.pop(HistoryBuffer)
    try:
        torch.save(
            dict(
                state_dict=_weights(1),
                meta=dict(iter=2),
                message_hub=hub.state_dict(),
            ),
            path,
        )
    finally:
        copyreg.dispatch_table[HistoryBuffer] = reducer
    return str(path)


def test_local_scheme_is_ours():
    loader = CheckpointLoader._get_checkpoint_loader('/some/file.pth')
    assert loader is ckpt_utils.load_from_local
    # Remote schemes keep MMEngine's loaders.
    http = CheckpointLoader._get_checkpoint_loader('https://x/y.pth')
    assert http is not ckpt_utils.load_from_local


def test_numpy_meta_loads_weights_only_untrusted(tmp_path):
    path = _plain_checkpoint(tmp_path / 'plain.pth')
    with pytest.raises(Exception, match='Weights only load failed'):
        torch.load(path, weights_only=True)  # plain torch: numpy refused
    assert not is_checkpoint_loading_trusted()
    ckpt = _load_checkpoint(path, map_location='cpu')
    assert ckpt['meta']['palette'].tolist() == [[0, 0, 0], [255, 0, 0]]
    assert ckpt['meta']['scale'] == 0.5
    assert torch.equal(
        ckpt['state_dict']['fc.weight'], _weights()['fc.weight']
    )


def test_untrusted_runner_checkpoint_raises_clear_error(tmp_path):
    path = _runner_like_checkpoint(tmp_path / 'runner.pth')
    with pytest.raises(UntrustedCheckpointError) as exc:
        _load_checkpoint(path, map_location='cpu')
    message = str(exc.value)
    assert path in message
    assert 'GLOBAL getattr' in message  # torch's specific reason
    assert 'not a trusted checkpoint' in message
    assert 'tools/misc/publish_model.py' in message
    assert 'trusted=True' in message


def test_trusted_runner_checkpoint_falls_back_with_warning(
    tmp_path, monkeypatch
):
    path = _runner_like_checkpoint(tmp_path / 'runner.pth')
    logged = []
    monkeypatch.setattr(
        ckpt_utils,
        'print_log',
        lambda msg, logger=None, level=None: logged.append((msg, level)),
    )
    with trusted_checkpoint_loading():
        ckpt = _load_checkpoint(path, map_location='cpu')
    hub = MessageHub('ckpt_test_loaded')
    hub.load_state_dict(ckpt['message_hub'])
    assert hub.get_scalar('train/loss').current() == 1.5
    assert len(logged) == 1
    msg, level = logged[0]
    assert 'weights_only=False' in msg and level == 30  # logging.WARNING


def test_malicious_pickle_is_not_executed(tmp_path):
    marker = tmp_path / 'pwned'

    class Evil:
        def __reduce__(self):
            return (os.mkdir, (str(marker),))

    path = str(tmp_path / 'evil.pth')
    torch.save(dict(state_dict={}, payload=Evil()), path)
    with pytest.raises(UntrustedCheckpointError, match='posix.mkdir'):
        _load_checkpoint(path, map_location='cpu')
    assert not marker.exists()


def test_trust_is_thread_local_and_nestable():
    seen = {}

    def worker():
        seen['thread'] = is_checkpoint_loading_trusted()

    with trusted_checkpoint_loading():
        assert is_checkpoint_loading_trusted()
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        with trusted_checkpoint_loading(False):
            assert not is_checkpoint_loading_trusted()
        assert is_checkpoint_loading_trusted()
    assert not is_checkpoint_loading_trusted()
    assert seen['thread'] is False


def test_pretrained_init_cfg_is_untrusted(tmp_path):
    bad = _runner_like_checkpoint(tmp_path / 'runner.pth')
    net = _Net(init_cfg=dict(type='Pretrained', checkpoint=bad))
    with pytest.raises(UntrustedCheckpointError):
        net.init_weights()
    good = _plain_checkpoint(tmp_path / 'plain.pth')
    net = _Net(init_cfg=dict(type='Pretrained', checkpoint=good))
    net.init_weights()
    assert torch.equal(net.fc.weight, _weights()['fc.weight'])


def test_load_checkpoint_api(tmp_path):
    path = _runner_like_checkpoint(tmp_path / 'runner.pth')
    net = _Net()
    ckpt = load_checkpoint(net, path)  # trusted by default
    assert ckpt['meta']['iter'] == 2
    assert torch.equal(net.fc.weight, _weights(1)['fc.weight'])
    with pytest.raises(UntrustedCheckpointError):
        load_checkpoint(_Net(), path, trusted=False)
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        load_checkpoint(_Net(), str(tmp_path / 'missing.pth'))


def test_strip_checkpoint(tmp_path):
    path = _runner_like_checkpoint(tmp_path / 'runner.pth')
    full = torch.load(path, weights_only=False)
    full['optimizer'] = dict(state={}, param_groups=[])
    full['meta']['palette'] = np.arange(3)
    full['meta']['hub'] = MessageHub('ckpt_test_meta')
    stripped = strip_checkpoint(full)
    assert set(stripped) == {'state_dict', 'meta'}
    assert stripped['meta']['palette'] == [0, 1, 2]
    assert isinstance(stripped['meta']['hub'], str)
    out = str(tmp_path / 'slim.pth')
    torch.save(stripped, out)
    loaded = torch.load(out, weights_only=True)  # no allow-list
    assert torch.equal(loaded['state_dict']['fc.bias'], _weights(1)['fc.bias'])
    with pytest.raises(TypeError, match='fc.weight'):
        strip_checkpoint(dict(state_dict={'fc.weight': [1.0]}))


def test_numpy1_names_are_allowed(tmp_path):
    """A checkpoint written under numpy 1.x names ``numpy.core.multiarray``;
    rewrite a numpy-2 pickle that way and load it weights-only."""
    src = tmp_path / 'np2.pth'
    torch.save(dict(a=np.arange(3), s=np.float64(2.0)), src)
    dst = tmp_path / 'np1.pth'
    with (
        zipfile.ZipFile(src) as zin,
        zipfile.ZipFile(dst, 'w', zipfile.ZIP_STORED) as zout,
    ):
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.endswith('data.pkl'):
                old, new = b'numpy._core.multiarray', b'numpy.core.multiarray'
                if np.__version__.startswith('1.'):
                    old, new = new, old
                assert data.count(old) == 2
                data = data.replace(old, new)
            zout.writestr(item, data)
    loaded = ckpt_utils.torch_load_checkpoint(str(dst), trusted=False)
    assert loaded['a'].tolist() == [0, 1, 2] and loaded['s'] == 2.0
