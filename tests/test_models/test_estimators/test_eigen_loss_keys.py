"""Every Eigen model names its losses ``loss_<task>[_<detail>]``, the scheme
by which balancers and logs group losses per task."""

import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData

from mmdepthsr.registry import MODELS
from mmdepthsr.structures import DenseDataSample

CFG_DIR = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.dirname(__file__)))), 'configs'
)
LOSS_KEY = re.compile(r'^loss_(depth|sr|seg|normal)(_.+)?$')


def _batch(model):
    gen = torch.Generator().manual_seed(0)
    sample = DenseDataSample(
        metainfo=dict(img_shape=(228, 304), ori_shape=(228, 304))
    )
    sample.gt_depth = PixelData(
        data=torch.rand(1, 228, 304, generator=gen) + 1
    )
    normal = torch.randn(3, 228, 304, generator=gen)
    sample.gt_normal = PixelData(
        data=torch.nn.functional.normalize(normal, dim=0)
    )
    sample.gt_sem_seg = PixelData(
        data=torch.randint(0, 4, (1, 228, 304), generator=gen)
    )
    image = torch.randint(0, 256, (3, 228, 304), dtype=torch.uint8)
    return model.data_preprocessor(
        dict(inputs=[image], data_samples=[sample]), True
    )


def _loss_keys(model, stages):
    keys = {}
    for stage in stages:
        model.set_stage(stage)
        with torch.no_grad():
            keys[stage] = list(model(**_batch(model), mode='loss'))
    return keys


@pytest.fixture(scope='module')
def eigen2015_keys(eigen2015_three_tasks):
    return _loss_keys(eigen2015_three_tasks, ('scales12', 'scale3', 'all'))


@pytest.fixture(scope='module')
def eigen2014_keys():
    cfg = Config.fromfile(
        osp.join(CFG_DIR, '_base_', 'models', 'eigen2014_nyu.py')
    )
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    return _loss_keys(model, ('coarse', 'fine'))


def test_eigen2015_loss_keys(eigen2015_keys):
    tasks = ('depth', 'normal', 'seg')
    assert eigen2015_keys == {
        'scales12': [f'loss_{t}_s2' for t in tasks],
        'scale3': [f'loss_{t}_s3' for t in tasks],
        'all': [f'loss_{t}_s{s}' for s in (2, 3) for t in tasks],
    }


def test_eigen2014_loss_keys(eigen2014_keys):
    assert eigen2014_keys == {
        'coarse': ['loss_depth_coarse'],
        'fine': ['loss_depth_fine'],
    }


def test_every_eigen_loss_key_follows_the_scheme(
    eigen2015_keys, eigen2014_keys
):
    keys = [
        key
        for per_stage in (eigen2015_keys, eigen2014_keys)
        for stage_keys in per_stage.values()
        for key in stage_keys
    ]
    assert len(keys) == 14
    assert [key for key in keys if not LOSS_KEY.match(key)] == []
    # the scheme rejects the former stage keys of EigenCoarseFine
    assert not LOSS_KEY.match('loss_coarse')
