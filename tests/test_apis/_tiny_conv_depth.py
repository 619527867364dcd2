"""A two-convolution depth estimator for the tests of the inference
switches and the analysis tools.

Imported in-process (the tests put this folder on ``sys.path``); configs
name it as ``TinyConvDepthToy`` with
``custom_imports=dict(imports=['_tiny_conv_depth'])``. Small enough that
``torch.compile`` of its whole test step takes seconds on a CPU, and its
parameters and FLOPs can be counted by hand.
"""

import os.path as osp

import torch
import torch.nn.functional as F
from torch import nn

from mmdepthsr.models.estimators.base import BaseDenseEstimator
from mmdepthsr.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY_DIR = osp.dirname(osp.abspath(__file__))

#: Channels of the hidden map.
HIDDEN = 4
#: 3x3 conv 3 -> 4 (weights + bias) and 3x3 conv 4 -> 1 (weights + bias).
NUM_PARAMS = (3 * HIDDEN * 9 + HIDDEN) + (HIDDEN * 9 + 1)
#: Multiply-accumulates per output pixel (MMEngine counts one MAC as one
#: flop and ignores biases and element-wise ops).
MACS_PER_PIXEL = 3 * HIDDEN * 9 + HIDDEN * 1 * 9


@MODELS.register_module(force=True)
class TinyConvDepthToy(BaseDenseEstimator):
    """``softplus(conv(relu(conv(x)))) + 0.5``, two 3x3 convolutions.

    Args:
        data_preprocessor (dict, optional): Config of the data
            preprocessor.
        init_cfg (dict, optional): Unused.
    """

    def __init__(self, data_preprocessor=None, init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=None)
        self.conv1 = nn.Conv2d(3, HIDDEN, 3, padding=1)
        self.conv2 = nn.Conv2d(HIDDEN, 1, 3, padding=1)
        gen = torch.Generator().manual_seed(0)
        for param in self.parameters():
            param.data.uniform_(-0.5, 0.5, generator=gen)

    def _forward(self, inputs, data_samples=None):
        """``(N, 3, H, W)`` -> ``(N, 1, H, W)`` depth in metres."""
        return F.softplus(self.conv2(F.relu(self.conv1(inputs)))) + 0.5

    def loss(self, inputs, data_samples):
        pred = self._forward(inputs)
        gt = torch.stack([s.gt_depth.data for s in data_samples])
        return dict(loss_depth=F.l1_loss(pred, gt))

    def predict(self, inputs, data_samples=None):
        samples = self.ensure_samples(inputs, data_samples)
        return self.postprocess_dense(
            self._forward(inputs), samples, 'pred_depth'
        )


def tiny_config_text(num_samples=2, img_shape=(24, 32)):
    """A test config of :class:`TinyConvDepthToy` on SynthRooms."""
    runtime = osp.join(ROOT, 'configs', '_base_', 'default_runtime.py')
    return f"""
_base_ = [{runtime!r}]
custom_imports = dict(imports=['_tiny_conv_depth'])
model = dict(
    type='TinyConvDepthToy',
    data_preprocessor=dict(
        type='DenseDataPreprocessor', mean=[128.0] * 3, std=[64.0] * 3))
test_dataloader = dict(
    batch_size=2,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='SynthRoomsDataset', split='test', num_samples={num_samples},
        img_shape={tuple(img_shape)!r},
        pipeline=[dict(type='PackDenseInputs')]))
test_evaluator = dict(type='DepthMetric', min_depth=1e-3, max_depth=10.0)
test_cfg = dict(type='TestLoop')
"""
