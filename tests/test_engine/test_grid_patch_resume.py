"""Exact resume of a grid-patch training run (GridPatchSampler, workers,
cosine schedule, a v3 joint model): interrupted and resumed, it ends with
the same weights, bit for bit, as the uninterrupted run."""

import os.path as osp
import uuid

import torch
from mmengine.config import Config

from mmdepthsr.registry import RUNNERS

CONFIG = osp.join(
    osp.dirname(__file__),
    '..',
    '..',
    'configs',
    'v3_fusion',
    'v3-fusion_lightenc_1xb8-1000it-cos_synthrooms-dsr-x8.py',
)
K = 3  # iterations before the interruption; the full run has 2K
IMG_SHAPE = (32, 48)
PATCH = (16, 16)


def _train(work_dir, max_iters, resume_from=None):
    cfg = Config.fromfile(CONFIG)
    channels = (4, 8, 8, 8)
    cfg.merge_from_dict(
        {
            'model.colour_encoder.channels': channels,
            'model.depth_encoder.channels': channels,
            'model.fuse_channels': channels,
            'model.decoder_channels': (8, 8, 4, 4, 4),
            'model.test_cfg': dict(mode='whole'),
            'train_dataloader.batch_size': 4,
            'train_dataloader.dataset.dataset.num_samples': 3,
            'train_dataloader.dataset.dataset.img_shape': IMG_SHAPE,
            'train_dataloader.dataset.img_shape': IMG_SHAPE,
            'train_dataloader.dataset.patch_size': PATCH,
            'train_dataloader.sampler.images_per_group': 2,
            'param_scheduler': [
                dict(
                    type='CosineAnnealingLR',
                    T_max=2 * K,
                    eta_min=1e-5,
                    by_epoch=False,
                    begin=0,
                    end=2 * K,
                )
            ],
            'train_cfg': dict(
                type='IterBasedTrainLoop',
                max_iters=max_iters,
                val_interval=100,
            ),
            'default_hooks.logger.interval': 1,
            'default_hooks.checkpoint.interval': K,
            'work_dir': str(work_dir),
            'experiment_name': f'{osp.basename(work_dir)}_{uuid.uuid4().hex}',
        }
    )
    for key in ('val_dataloader', 'val_evaluator', 'val_cfg'):
        cfg.pop(key, None)
    if resume_from is not None:
        cfg.resume = True
        cfg.load_from = str(resume_from)
    runner = RUNNERS.build(cfg)
    runner.train()
    return {k: v.clone() for k, v in runner.model.state_dict().items()}


def test_interrupted_grid_patch_run_resumes_bit_exactly(tmp_path):
    # 3 frames x 6 patches in groups of 2 frames, batches of 4 with two
    # workers: the interruption falls inside a group and an epoch.
    full = _train(tmp_path / 'full', 2 * K)
    part = _train(tmp_path / 'part', K)
    resumed = _train(
        tmp_path / 'resumed',
        2 * K,
        resume_from=tmp_path / 'part' / f'iter_{K}.pth',
    )
    assert full.keys() == resumed.keys()
    different = [k for k in full if not torch.equal(full[k], resumed[k])]
    assert not different
    # the second half did train: the weights moved after the interruption
    moved = [k for k in full if not torch.equal(full[k], part[k])]
    assert len(moved) > len(full) // 2
