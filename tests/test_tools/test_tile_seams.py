"""Tile seams of the quick-start model (v3 on SynthRooms x8).

The model is trained briefly (30 iterations x 4 of the config's 64 x 64 grid
patches; the full quick start is 300 x 8), then the first test scenes are
tiled with the config's ``test_cfg`` and with the old setting (64 x 64
tiles side by side, plain mean). The seam ratio of both tiled outputs
(:mod:`mmdepthsr.models.utils.seams`) must stay at most 1.2 with the
config's setting (measured: 0.99 for the SR output, 0.90 for the
monocular branch), while side-by-side tiles show the tile grid (5.1 and
6.5 here; 5.6 and 7.9 for the full quick-start model on 200 scenes). The
trained quick-start model itself is measured in configs/v3_fusion/README.md
("Tile seams"); training it here would take minutes. About 35 s on a
2-core CPU shared with other jobs.
"""

import importlib.util
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmdepthsr.registry import DATASETS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(
    ROOT,
    'configs',
    'v3_fusion',
    'v3-fusion_lightenc_1xb8-300it_synthrooms-dsr-x8.py',
)
TOOL = osp.join(ROOT, 'tools', 'analysis_tools', 'tile_seams.py')
TRAIN_ITERS = 30
BATCH_SIZE = 4
NUM_SCENES = 3
MAX_RATIO = 1.2
OLD_TEST_CFG = dict(stride=None, blend='mean', margin=0)


def _tool():
    spec = importlib.util.spec_from_file_location('_tile_seams', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _train(work_dir: str, cfg: Config):
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=TRAIN_ITERS)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    cfg.train_dataloader.batch_size = BATCH_SIZE
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1)
    cfg.default_hooks.logger.interval = TRAIN_ITERS
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=0)
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner.model


@pytest.mark.slow
def test_quick_start_model_has_no_tile_seams(tmp_path):
    torch.set_num_threads(1)
    cfg = Config.fromfile(CONFIG)
    test_cfg = dict(cfg.model.test_cfg)
    assert test_cfg['mode'] == 'slide'
    dataset = DATASETS.build(
        dict(cfg.test_dataloader.dataset, num_samples=NUM_SCENES)
    )
    model = _train(str(tmp_path), cfg.copy()).eval()
    tool = _tool()

    ratios = {}
    for name, setting in (('config', {}), ('old', OLD_TEST_CFG)):
        model.test_cfg = model._check_test_cfg(dict(test_cfg, **setting))
        result = tool.evaluate_seams(model, dataset)
        assert result['num_samples'] == NUM_SCENES
        assert set(result['seams']) == {'pred_sr_depth', 'pred_depth'}
        ratios[name] = {k: v['ratio'] for k, v in result['seams'].items()}
    for field, ratio in ratios['config'].items():
        assert ratio <= MAX_RATIO, (field, ratios)
    # the tile grid of side-by-side tiles is visible in the monocular
    # branch (per-tile scale) and in the SR output
    for field, ratio in ratios['old'].items():
        assert ratio > 2 * MAX_RATIO, (field, ratios)


def test_tool_layout_follows_the_model_test_cfg():
    tool = _tool()

    class Model:
        test_cfg = dict(
            mode='slide',
            patch_size=(64, 64),
            stride=(48, 48),
            margin=4,
            normalize='max',
            blend='linear',
        )

    boxes = tool.tile_layout(Model(), (240, 320))
    assert len(boxes) == 5 * 7
    assert boxes[0] == (0, 0, 60, 60)  # image borders kept, margin inside
    assert boxes[-1] == (180, 260, 240, 320)
    Model.test_cfg = dict(Model.test_cfg, mode='whole')
    with pytest.raises(ValueError, match='no tiles'):
        tool.tile_layout(Model(), (240, 320))
