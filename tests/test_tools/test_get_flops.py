"""tools/analysis_tools/get_flops.py: counts checked by hand on the
two-conv toy, and the LR branch of a joint DSR model counted."""

import importlib.util
import os.path as osp
import re

import pytest
from _analysis_configs import ROOT, _tiny_conv_depth, write_configs

from mmdepthsr.apis import init_model


def _tool():
    path = osp.join(ROOT, 'tools', 'analysis_tools', 'get_flops.py')
    spec = importlib.util.spec_from_file_location('get_flops_tool', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def configs(tmp_path_factory):
    return write_configs(str(tmp_path_factory.mktemp('flops')))


def _field(stdout, name):
    return int(re.search(rf'^{name}: (\d+) ', stdout, re.M).group(1))


@pytest.mark.parametrize('shape', [(24, 32), (16, 20)])
def test_two_conv_toy_by_hand(configs, capsys, shape):
    _tool().main([configs[0], '--shape', *map(str, shape)])
    out = capsys.readouterr().out
    h, w = shape
    assert f'Input shape: (1, 3, {h}, {w})' in out
    # 3x3 conv 3 -> 4 with bias (112) and 4 -> 1 with bias (37)
    assert _field(out, 'Parameters') == _tiny_conv_depth.NUM_PARAMS == 149
    # one multiply-accumulate per flop: H * W * C_out * C_in * 9 per conv
    assert _field(out, 'FLOPs') == h * w * (4 * 3 * 9 + 1 * 4 * 9)
    assert 'Not counted: aten::add (1), aten::softplus (1)' in out
    rows = dict(
        re.findall(r'^\|\s+(\S+)\s+\|[^|]+\|\s+(\S+)\s+\|$', out, re.M)
    )
    expected_conv1 = h * w * 4 * 3 * 9
    assert rows['conv1'] == f'{expected_conv1 / 1e3:.6g}K'


def test_joint_dsr_model_counts_the_lr_branch(configs, capsys):
    _tool().main([configs[1], '--shape', '32', '48', '--max-depth', '1'])
    out = capsys.readouterr().out
    with pytest.warns(UserWarning, match='no checkpoint'):
        model = init_model(configs[1])
    assert _field(out, 'Parameters') == sum(
        p.numel() for p in model.parameters()
    )
    assert 'Input shape: (1, 3, 32, 48)' in out
    rows = dict(
        re.findall(r'^\|\s+(\S+)\s+\|[^|]+\|\s+(\S+)\s+\|$', out, re.M)
    )
    # the LR depth (8 x 12) reached the depth encoder (a single child is
    # shown with its child's name)
    assert rows['lr_encoder.stages'].endswith('M')
    assert float(rows['lr_encoder.stages'][:-1]) > 0.1
    assert rows['model'] == f'{_field(out, "FLOPs") / 1e6:.4g}M'
