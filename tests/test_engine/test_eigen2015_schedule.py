"""The Eigen & Fergus 2015 per-layer learning rates and weight decays of
configs/_base_/schedules/eigen2015_sgd.py reach every parameter."""

import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmdepthsr.registry import MODELS, OPTIM_WRAPPER_CONSTRUCTORS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(
    ROOT,
    'configs',
    'eigen2015',
    'eigen2015_alexnet_1xb8-250it_synthrooms-depth-normal-228x304.py',
)

# (LR factor, weight decay) of the release's confs, base LR 1.0
WEIGHTS = {
    'backbone.conv': (0.001, 5e-4),
    'decoder.scale1.full': (0.1, 1e-5),
    'decoder.conv_s2_1': (0.001, 1e-4),
    'conv_s2_2': (0.01, 1e-4),
    'conv_s2_3': (0.01, 1e-4),
    'conv_s2_4': (0.01, 1e-4),
    'conv_s2_5': (0.001, 1e-4),
    'decoder.conv_s3_1': (0.001, 1e-4),
    'conv_s3_2': (0.01, 1e-4),
    'conv_s3_3': (0.01, 1e-4),
    'conv_s3_4': (0.001, 1e-4),
}


def _expected(name):
    if name.endswith('prior_bias'):
        return 0.1, 0.0
    for key, (lr, decay) in WEIGHTS.items():
        if key in name:
            return lr, (0.0 if name.endswith('.bias') else decay)
    raise AssertionError(f'no rule for {name}')


@pytest.mark.parametrize('stage', ['scales12', 'scale3'])
def test_per_layer_lr_and_decay(stage):
    cfg = Config.fromfile(CONFIG)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    # the optimizer is built while one stage's parameters are frozen
    model.set_stage(stage)
    optim_cfg = cfg.optim_wrapper.copy()
    constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(
            type=optim_cfg.pop('constructor'),
            optim_wrapper_cfg=optim_cfg,
            paramwise_cfg=optim_cfg.pop('paramwise_cfg'),
        )
    )
    optim = constructor(model)
    settings = {
        id(p): (g['lr'], g['weight_decay'])
        for g in optim.optimizer.param_groups
        for p in g['params']
    }
    names = dict(model.named_parameters())
    assert len(settings) == len(names)  # frozen stages included
    for name, param in names.items():
        lr, decay = settings[id(param)]
        exp_lr, exp_decay = _expected(name)
        assert lr == pytest.approx(exp_lr), name
        assert decay == pytest.approx(exp_decay), name
    assert isinstance(optim.optimizer, torch.optim.SGD)
    assert optim.optimizer.defaults['momentum'] == 0.9
