"""demo/image_demo.py with the bicubic baseline (no checkpoint), and with
v3 on the GPU."""

import importlib.util
import os
import os.path as osp
import re
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


# ------------------------------------------- the README's demo, as written

README = osp.join(ROOT, 'README.md')
V3_CONFIG = osp.join(
    ROOT,
    'configs',
    'v3_fusion',
    'v3-fusion_lightenc_1xb8-300it_synthrooms-dsr-x8.py',
)


def _readme_section(title):
    text = open(README, encoding='utf-8').read()
    start = text.index(f'### {title}\n')
    return text[start : text.index('\n### ', start + 1)]


def _demo_commands():
    """The ``python demo/image_demo.py ...`` lines of the README's Demo
    section, continuation lines joined, ``[optional]`` arguments left out."""
    block = _readme_section('Demo').split('```shell\n')[1].split('```')[0]
    block = block.replace('\\\n', ' ')
    commands = []
    for line in block.splitlines():
        if line.startswith('python demo/image_demo.py'):
            line = re.sub(r'\[[^\]]*\]', '', line)
            commands.append(line.split()[2:])  # after the script
    return commands


def test_demo_sample_matches_the_readme():
    rgb = cv2.imread(osp.join(ROOT, 'demo', 'room_rgb.png'), cv2.IMREAD_COLOR)
    lr = cv2.imread(
        osp.join(ROOT, 'demo', 'room_lr_depth_x8.png'), cv2.IMREAD_UNCHANGED
    )
    gt = cv2.imread(
        osp.join(ROOT, 'demo', 'room_gt_depth.png'), cv2.IMREAD_UNCHANGED
    )
    assert rgb.shape == (240, 320, 3)
    assert lr.dtype == np.uint16 and lr.shape == (30, 40)
    assert gt.dtype == np.uint16 and gt.shape == (240, 320)
    # millimetres of an indoor scene, and the LR map is the GT brought down
    assert 500 < gt.min() and gt.max() < 10000
    block_mean = gt.reshape(30, 8, 40, 8).mean((1, 3))
    assert np.abs(lr - block_mean).mean() < 50  # mm
    total = sum(
        os.path.getsize(osp.join(ROOT, 'demo', name))
        for name in os.listdir(osp.join(ROOT, 'demo'))
        if name.endswith('.png')
    )
    assert total < 200 * 1024


def test_demo_sample_is_rendered_by_the_script(tmp_path):
    spec = importlib.util.spec_from_file_location(
        'make_demo_sample',
        osp.join(ROOT, 'tools', 'misc', 'make_demo_sample.py'),
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written = module.make_sample(str(tmp_path))
    for path in written:
        shipped = osp.join(ROOT, 'demo', osp.basename(path))
        new = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        assert np.array_equal(new, cv2.imread(shipped, cv2.IMREAD_UNCHANGED))


def test_readme_demo_commands_run(tmp_path, monkeypatch):
    """The bicubic command as written; the DSR command with CONFIG /
    CHECKPOINT a random-weight v3 saved here."""
    monkeypatch.chdir(ROOT)  # the README's commands run in the clone
    commands = _demo_commands()
    assert len(commands) == 3
    demo = _load_demo()
    bicubic = commands[2]
    assert bicubic[-3:-1] == ['none', '--out-dir']
    out = tmp_path / 'bicubic'
    written = demo.main([*bicubic[:-1], str(out)])
    assert [osp.basename(p) for p in written] == [
        'room_rgb_pred_sr_depth.png',
        'room_rgb_panel.png',
    ]
    sr = cv2.imread(written[0], cv2.IMREAD_UNCHANGED)
    lr = cv2.imread(
        osp.join(ROOT, 'demo', 'room_lr_depth_x8.png'), cv2.IMREAD_UNCHANGED
    )
    assert sr.shape == (240, 320)
    assert abs(sr.reshape(30, 8, 40, 8).mean((1, 3)) - lr).mean() < 30

    from mmengine.runner import save_checkpoint

    from mmdepthsr.apis import init_model

    torch.manual_seed(0)
    checkpoint = str(tmp_path / 'v3.pth')
    with pytest.warns(UserWarning, match='weights are random'):
        model = init_model(V3_CONFIG)
    save_checkpoint(model.state_dict(), checkpoint)
    dsr = commands[1]
    dsr = [
        {'CONFIG': V3_CONFIG, 'CHECKPOINT': checkpoint}.get(a, a) for a in dsr
    ]
    out = tmp_path / 'v3'
    written = demo.main([*dsr[:-1], str(out)])
    assert sorted(osp.basename(p) for p in written) == [
        'room_rgb_panel.png',
        'room_rgb_pred_depth.png',
        'room_rgb_pred_sr_depth.png',
    ]


def test_readme_python_api_dsr_example_runs(monkeypatch):
    block = _readme_section('Python API').split('```python\n')[1]
    code = block.split('```')[0]
    dsr = code[code.index('# Guided depth super-resolution') :]
    namespace = {}
    monkeypatch.chdir(ROOT)
    exec(
        'from mmdepthsr.apis import inference_model, init_model\n' + dsr,
        namespace,
    )
    assert tuple(namespace['sr'].shape) == (240, 320)
