"""Tiny registered model, dataset, metric and hook for the engine tests.

Imported by the tests in-process (``tests/test_engine/conftest.py`` puts
this folder on ``sys.path``) and by configs run through ``tools/train.py``
(``custom_imports=dict(imports=['_engine_toys'])`` with this folder on
``PYTHONPATH``). The names start with ``EngineToy`` so that they cannot
clash with real modules.
"""

import json
import os
import os.path as osp
import random

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.dist import get_rank, get_world_size
from mmengine.evaluator import BaseMetric
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from torch import nn
from torch.utils.data import Dataset

from mmdepthsr.registry import DATASETS, HOOKS, METRICS, MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOYS_DIR = osp.dirname(osp.abspath(__file__))


@DATASETS.register_module(force=True)
class EngineToyDataset(Dataset):
    """``length`` fixed 3 x size x size images; the target is a linear map.

    With ``random_aug`` every item draws from the three global generators
    (numpy noise, Python flip, torch brightness jitter), like a real
    augmentation pipeline running in the main process.
    """

    metainfo = dict(name='engine_toy')

    def __init__(self, length=6, size=8, random_aug=True):
        self.length = length
        self.size = size
        self.random_aug = random_aug

    def __len__(self):
        return self.length

    def __getitem__(self, index):
        gen = torch.Generator().manual_seed(index)
        img = torch.rand(3, self.size, self.size, generator=gen)
        if self.random_aug:
            noise = np.random.randn(3, self.size, self.size) * 0.01
            img = img + torch.from_numpy(noise.astype(np.float32))
            if random.random() < 0.5:
                img = img.flip(-1)
            img = img * (0.9 + 0.2 * torch.rand(1))
        target = img.mean(0, keepdim=True) * 2.0 + 1.0
        return dict(inputs=img, target=target)


@MODELS.register_module(force=True)
class EngineToyNet(BaseModel):
    """conv-BN-ReLU-dropout-conv regressor, 3 -> ``channels`` -> 1.

    ``norm=False`` drops the BatchNorm (per-rank batch statistics would make
    a DDP run differ from a single process with the combined batch).
    """

    def __init__(
        self,
        channels=4,
        dropout=0.5,
        norm=True,
        data_preprocessor=None,
        init_cfg=None,
    ):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg
        )
        self.conv = nn.Conv2d(3, channels, 3, padding=1)
        self.bn = nn.BatchNorm2d(channels) if norm else nn.Identity()
        self.drop = nn.Dropout(dropout)
        self.head = nn.Conv2d(channels, 1, 1)

    def forward(self, inputs, target=None, mode='tensor'):
        out = self.head(self.drop(F.relu(self.bn(self.conv(inputs)))))
        if mode == 'loss':
            return dict(loss_mse=F.mse_loss(out.float(), target))
        if mode == 'predict':
            err = ((out.float() - target) ** 2).flatten(1).mean(1)
            return [dict(sq_err=e) for e in err]
        return out


@METRICS.register_module(force=True)
class EngineToyMetric(BaseMetric):
    """Mean squared error of :class:`EngineToyNet`'s predictions."""

    def process(self, data_batch, data_samples):
        self.results.extend(float(s['sq_err']) for s in data_samples)

    def compute_metrics(self, results):
        return dict(mse=float(np.mean(results)))


@HOOKS.register_module(force=True)
class EngineToyRankHook(Hook):
    """Writes ``rank<r>.json`` (rank, world size, iterations, device of the
    parameters) at the end."""

    def after_train(self, runner):
        with open(
            osp.join(runner.work_dir, f'rank{get_rank()}.json'), 'w'
        ) as f:
            json.dump(
                dict(
                    rank=get_rank(),
                    world_size=get_world_size(),
                    iter=runner.iter,
                    pid=os.getpid(),
                    device=str(next(runner.model.parameters()).device),
                ),
                f,
            )


def toy_config_text(
    max_iters=8,
    interval=4,
    dropout=0.5,
    norm=True,
    random_aug=True,
    batch_size=2,
    length=6,
    with_val=True,
    extra='',
):
    """Config file text: default_runtime + the toys, SGD + PolyLR."""
    runtime = osp.join(ROOT, 'configs', '_base_', 'default_runtime.py')
    val = ''
    if with_val:
        val = f"""
val_dataloader = dict(
    batch_size=2, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='EngineToyDataset', length=4, random_aug={random_aug}))
val_evaluator = dict(type='EngineToyMetric')
val_cfg = dict(type='ValLoop')
"""
    return f"""
_base_ = [{runtime!r}]
custom_imports = dict(imports=['_engine_toys'], allow_failed_imports=False)
model = dict(type='EngineToyNet', dropout={dropout}, norm={norm})
train_dataloader = dict(
    batch_size={batch_size}, num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='EngineToyDataset', length={length}, random_aug={random_aug}))
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(type='PolyLR', power=0.9, eta_min=1e-3, begin=0, end=8,
         by_epoch=False)]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters={max_iters}, val_interval={interval})
default_hooks = dict(
    logger=dict(interval=1), checkpoint=dict(interval={interval}))
{val}
{extra}
"""
