"""tools/misc/publish_model.py: strip a training checkpoint to weights."""

import importlib.util
import os.path as osp
import re
from collections import OrderedDict

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'misc', 'publish_model.py')


@pytest.fixture(scope='module')
def publish_tool():
    spec = importlib.util.spec_from_file_location('_publish_model', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _training_checkpoint(path):
    """The layout MMEngine's Runner writes (message hub, optimizer,
    schedulers, numpy values in the dataset meta)."""
    torch.manual_seed(0)
    weights = OrderedDict(w=torch.randn(4, 3), b=torch.zeros(4))
    hub = MessageHub('publish_test')
    hub.update_scalar('train/loss', 0.25)
    checkpoint = dict(
        meta=dict(
            iter=40,
            dataset_meta=dict(palette=np.array([[1, 2, 3]]), name='toy'),
        ),
        state_dict=weights,
        message_hub=hub.state_dict(),
        optimizer=dict(state={0: dict(momentum_buffer=torch.ones(4, 3))}),
        param_schedulers=[dict(last_step=40)],
    )
    torch.save(checkpoint, path)
    return weights


def test_publish_strips_to_weights_only(publish_tool, tmp_path, capsys):
    src = str(tmp_path / 'iter_40.pth')
    weights = _training_checkpoint(src)
    with pytest.raises(Exception, match='Weights only load failed'):
        torch.load(src, weights_only=True)

    out = str(tmp_path / 'release' / 'model.pth')
    publish_tool.main([src, out])
    assert 'Saved' in capsys.readouterr().out
    # Plain torch.load with the torch >= 2.6 default, no allow-list.
    slim = torch.load(out, weights_only=True)
    assert set(slim) == {'state_dict', 'meta'}
    assert slim['state_dict'].keys() == weights.keys()
    for key, value in weights.items():
        assert torch.equal(slim['state_dict'][key], value)
    assert slim['meta']['iter'] == 40
    assert slim['meta']['dataset_meta'] == dict(
        palette=[[1, 2, 3]], name='toy'
    )
    assert osp.getsize(out) < osp.getsize(src)


def test_publish_with_hash(publish_tool, tmp_path):
    src = str(tmp_path / 'iter_40.pth')
    _training_checkpoint(src)
    final = publish_tool.publish(src, str(tmp_path / 'm.pth'), add_hash=True)
    assert re.fullmatch(r'm-[0-9a-f]{8}\.pth', osp.basename(final))
    assert not osp.exists(tmp_path / 'm.pth')
    assert torch.load(final, weights_only=True)['meta']['iter'] == 40
