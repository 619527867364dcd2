"""demo/image_demo.py with the bicubic baseline (no checkpoint), and with
v3 on the GPU."""

import importlib.util
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(ROOT, 'demo', 'image_demo.py')
CONFIG = osp.join(ROOT, 'configs', 'bicubic', 'bicubic_x8_synthrooms-dsr.py')
PAD = 4  # make_panel's default gap


def _load_demo():
    spec = importlib.util.spec_from_file_location('image_demo', DEMO)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_parse_three_or_four_positionals():
    demo = _load_demo()
    args = demo.parse_args(['a.png', 'c.py', 'none', '--out-dir', 'o'])
    assert (args.img, args.lr_depth, args.config) == ('a.png', None, 'c.py')
    assert args.checkpoint is None
    args = demo.parse_args(
        ['a.png', 'lr.png', 'c.py', 'w.pth', '--out-dir', 'o']
    )
    assert (args.lr_depth, args.checkpoint) == ('lr.png', 'w.pth')
    assert args.depth_scale == 1000.0 and args.device == 'cpu'
    with pytest.raises(SystemExit):
        demo.parse_args(['a.png', 'c.py', '--out-dir', 'o'])
    with pytest.raises(SystemExit):
        demo.parse_args(['a', 'b', 'c', 'd', 'e', '--out-dir', 'o'])


def test_demo_writes_16bit_depth_and_panel(tmp_path, capsys):
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    lr_mm = rng.integers(800, 6000, (6, 8)).astype(np.uint16)
    rgb_path = str(tmp_path / 'room.png')
    lr_path = str(tmp_path / 'room_lr.png')
    cv2.imwrite(rgb_path, rgb[..., ::-1])
    cv2.imwrite(lr_path, lr_mm)
    out_dir = str(tmp_path / 'out')

    demo = _load_demo()
    written = demo.main(
        [rgb_path, lr_path, CONFIG, 'none', '--out-dir', out_dir]
    )
    depth_png = osp.join(out_dir, 'room_pred_sr_depth.png')
    panel_png = osp.join(out_dir, 'room_panel.png')
    assert written == [depth_png, panel_png]
    stdout = capsys.readouterr().out
    assert f'wrote {depth_png}' in stdout and f'wrote {panel_png}' in stdout

    depth = cv2.imread(depth_png, cv2.IMREAD_UNCHANGED)
    assert depth.dtype == np.uint16 and depth.shape == (48, 64)
    lr = torch.from_numpy(lr_mm.astype(np.float32) / 1000)[None, None]
    expected_mm = (
        F.interpolate(
            lr, size=(48, 64), mode='bicubic', align_corners=False
        ).numpy()[0, 0]
        * 1000
    )
    assert np.abs(depth.astype(np.float64) - expected_mm).max() <= 1.0
    # Bicubic overshoot makes values the nearest upsampling never has.
    assert not np.isin(depth, lr_mm).all()

    panel = cv2.imread(panel_png)[..., ::-1]
    assert panel.shape[1] == 3 * 64 + 2 * PAD  # RGB | LR depth | SR
    np.testing.assert_array_equal(panel[-48:, :64], rgb)


def test_demo_reports_a_missing_lr_depth(tmp_path):
    rgb_path = str(tmp_path / 'room.png')
    cv2.imwrite(rgb_path, np.zeros((16, 16, 3), np.uint8))
    demo = _load_demo()
    with pytest.raises(SystemExit, match='needs lr_depth'):
        demo.main([rgb_path, CONFIG, 'none', '--out-dir', str(tmp_path)])


# ----------------------------------------------------------------- CUDA

V3_SYNTH = osp.join(
    ROOT,
    'configs',
    'v3_fusion',
    'v3-fusion_lightenc_1xb8-300it_synthrooms-dsr-x8.py',
)


@pytest.mark.cuda
def test_demo_on_cuda_writes_what_the_cpu_writes(tmp_path):
    """``demo/image_demo.py ... --device cuda`` as a command, v3 with seeded
    weights (tiled inference), against the same demo on the CPU."""
    from mmdepthsr.registry import MODELS

    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(V3_SYNTH).model)
    checkpoint = str(tmp_path / 'v3.pth')
    torch.save(dict(meta=dict(), state_dict=model.state_dict()), checkpoint)
    rng = np.random.default_rng(0)
    rgb_path = str(tmp_path / 'room.png')
    lr_path = str(tmp_path / 'room_lr.png')
    cv2.imwrite(rgb_path, rng.integers(0, 256, (240, 320, 3), np.uint8))
    cv2.imwrite(lr_path, rng.integers(800, 6000, (30, 40)).astype(np.uint16))
    args = [rgb_path, lr_path, V3_SYNTH, checkpoint]

    cpu_dir = str(tmp_path / 'cpu')
    _load_demo().main([*args, '--out-dir', cpu_dir, '--device', 'cpu'])
    cuda_dir = str(tmp_path / 'cuda')
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        p for p in (ROOT, env.get('PYTHONPATH')) if p
    )
    env['NVIDIA_TF32_OVERRIDE'] = '0'  # float32 convolutions, as the CPU
    proc = subprocess.run(
        [
            sys.executable,
            DEMO,
            *args,
            '--out-dir',
            cuda_dir,
            '--device',
            'cuda',
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for name in ('room_pred_sr_depth.png', 'room_pred_depth.png'):
        assert f'wrote {osp.join(cuda_dir, name)}' in proc.stdout
        cpu = cv2.imread(osp.join(cpu_dir, name), cv2.IMREAD_UNCHANGED)
        cuda = cv2.imread(osp.join(cuda_dir, name), cv2.IMREAD_UNCHANGED)
        assert cuda.dtype == np.uint16 and cuda.shape == (240, 320)
        # millimetres: rounding plus float32 differences
        diff = np.abs(cuda.astype(np.int64) - cpu.astype(np.int64))
        assert (diff <= 2 + 1e-3 * cpu).all(), name
    assert osp.isfile(osp.join(cuda_dir, 'room_panel.png'))
