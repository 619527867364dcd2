"""Every loss key of PMBANet, CLIFFNet, v1 and the depth-encoder
pre-training models is ``loss_<task>[_<detail>]`` with a task of
``TASKS``, so that balancers and logs can group losses by task."""

import re

import pytest
import torch
from mmengine.structures import PixelData

from mmdepthsr.models.heads import TASKS
from mmdepthsr.registry import MODELS
from mmdepthsr.structures import DenseDataSample

KEY = re.compile(rf'^loss_({"|".join(TASKS)})(_.+)?$')

TINY_PMBA = dict(channels=4, shallow_channels=8, num_af_blocks=1)
TINY_CLIFF = dict(
    backbone=dict(type='LightConvEncoder', in_channels=3, channels=(4,) * 4),
    neck=dict(type='FPN', in_channels=(4,) * 4, out_channels=4),
)
CLIFF_DECODER = dict(
    type='CLIFFDecoder', in_channels=4, channels=4, head_channels=4
)
HEG_LOSSES = [
    dict(type='L1Loss'),
    dict(type='HierarchicalEmbeddingLoss', warmup_iters=0),
]

MODEL_CFGS = dict(
    pmbanet=dict(
        type='PMBANet',
        scale_factor=2,
        mid_channels=4,
        shallow_channels=8,
        num_af_blocks=1,
    ),
    cliffnet=dict(type='CLIFFNet', decoder=CLIFF_DECODER, **TINY_CLIFF),
    cliffnet_heg=dict(
        type='CLIFFNet',
        decoder=CLIFF_DECODER,
        loss_decode=HEG_LOSSES,
        **TINY_CLIFF,
    ),
    v1=dict(
        type='CoupledDepthSR',
        scale_factor=2,
        sr_decoder=dict(type='PMBADecoder', **TINY_PMBA),
        depth_decoder=CLIFF_DECODER,
        depth_head=dict(type='CLIFFHead', loss_decode=HEG_LOSSES),
        **TINY_CLIFF,
    ),
    depth_autoencoder=dict(
        type='DepthAutoEncoder', encoder=dict(type='SceneNetEncoder')
    ),
    depth_scene_classifier=dict(
        type='DepthSceneClassifier',
        encoder=dict(type='SceneNetEncoder'),
        num_classes=3,
    ),
)


def _samples():
    gen = torch.Generator().manual_seed(0)
    samples = []
    for label in (0, 2):
        sample = DenseDataSample(
            metainfo=dict(
                img_shape=(16, 16),
                ori_shape=(16, 16),
                scale_factor=2,
                depth_norm_min=0.0,
                depth_norm_max=4.0,
                scene_type=label,
            )
        )
        sample.gt_depth = PixelData(data=0.5 + torch.rand(1, 16, 16))
        sample.lr_depth = PixelData(data=torch.rand(1, 8, 8, generator=gen))
        samples.append(sample)
    return samples


@pytest.mark.parametrize('name', sorted(MODEL_CFGS))
def test_loss_keys_name_their_task(name):
    torch.manual_seed(0)
    model = MODELS.build(MODEL_CFGS[name])
    losses = model.loss(torch.rand(2, 3, 16, 16) * 255, _samples())
    keys = [k for k in losses if 'loss' in k]
    assert keys, name
    bad = [k for k in keys if not KEY.match(k)]
    assert not bad, f'{name}: {bad}'
    for key in keys:
        assert torch.isfinite(losses[key]), key
