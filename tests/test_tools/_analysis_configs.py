"""Configs of the tests of tools/analysis_tools: the two-conv toy
(tests/test_apis/_tiny_conv_depth.py) and a tiny joint MDE + DSR model."""

import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY_DIR = osp.join(ROOT, 'tests', 'test_apis')
if TINY_DIR not in sys.path:
    sys.path.insert(0, TINY_DIR)

import _tiny_conv_depth  # noqa: E402

JOINT_CONFIG = """
model = dict(
    type='JointDepthSR',
    scale_factor=4,
    colour_encoder=dict(
        type='LightConvEncoder', in_channels=3, channels=(4, 4, 8, 8)),
    depth_encoder=dict(
        type='LightConvEncoder', in_channels=1, channels=(4, 4, 8, 8)),
    fuse_channels=(4, 4, 8, 8),
    decoder_channels=(8, 8, 4, 4, 4),
    test_cfg=dict(mode='slide', patch_size=(16, 16), normalize='max'),
    data_preprocessor=dict(
        type='DenseDataPreprocessor', mean=[128.0] * 3, std=[64.0] * 3))
"""


def write_configs(folder):
    """``(tiny, joint)`` config paths written into ``folder``."""
    tiny = osp.join(folder, 'tiny_conv_depth.py')
    with open(tiny, 'w') as f:
        f.write(_tiny_conv_depth.tiny_config_text())
    joint = osp.join(folder, 'tiny_joint.py')
    with open(joint, 'w') as f:
        f.write(JOINT_CONFIG)
    return tiny, joint
