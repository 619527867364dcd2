"""Shared by the estimator tests: large models built once, and the replay
of the legacy checkpoints in ``tests/fixtures/legacy_checkpoints`` written
by the self-contained PMBANet, CLIFFNet and v1 CoupledDepthSR (before they
composed decoders and heads, commit 705156d): the state dict of a tiny
model with perturbed weights, a batch of two 16 x 16 samples and the
model's raw output, losses and predictions in eval mode."""

import copy
from pathlib import Path

import pytest
import torch
from mmengine.structures import PixelData

from mmdepthsr.registry import MODELS
from mmdepthsr.structures import DenseDataSample

LEGACY = Path(__file__).parents[2] / 'fixtures' / 'legacy_checkpoints'


def _replay(model, name: str):
    """Load ``name`` strictly into ``model`` and run its recorded batch.

    Returns:
        tuple: The reference dict, and the model's ``tensor`` output,
        losses and ``{field: (N, 1, H, W)}`` predictions.
    """
    ref = torch.load(LEGACY / name)
    model.load_state_dict(copy.deepcopy(ref['state_dict']), strict=True)
    model.eval()
    samples = []
    for i, norm_max in enumerate(ref['depth_norm_max']):
        meta = dict(
            img_shape=(16, 16),
            ori_shape=(16, 16),
            scale_factor=2,
            img_path=f'{i}.png',
        )
        if norm_max is not None:
            meta.update(depth_norm_min=0.0, depth_norm_max=norm_max)
        sample = DenseDataSample(metainfo=meta)
        sample.gt_depth = PixelData(data=ref['gt_depth'][i])
        sample.lr_depth = PixelData(data=ref['lr_depth'][i])
        samples.append(sample)
    data = model.data_preprocessor(
        dict(inputs=list(ref['imgs']), data_samples=samples), False
    )
    with torch.no_grad():
        tensor = model(**data, mode='tensor')
        losses = model(**data, mode='loss')
        results = model(**copy.deepcopy(data), mode='predict')
    preds = {
        key: torch.stack([r.get(key).data for r in results])
        for key in ref['preds']
    }
    return ref, tensor, losses, preds


@pytest.fixture
def replay_legacy():
    """The function ``replay(model, fixture_name)``."""
    return _replay


@pytest.fixture(scope='session')
def eigen2015_three_tasks():
    """EigenMultiScale with an AlexNet scale 1, depth, normals and 4-class
    semantics, its weights drawn after ``torch.manual_seed(0)``; tests set
    the stage and the mode they need."""
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='EigenMultiScale',
            backbone=dict(type='AlexNet'),
            tasks=('depth', 'normal', 'seg'),
            num_classes=4,
            data_preprocessor=dict(
                type='DenseDataPreprocessor', mean=[128.0] * 3, std=[1.0] * 3
            ),
        )
    )
