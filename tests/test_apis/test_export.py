"""Export of MDE and DSR models (mmdepthsr/apis/export.py and
tools/deployment/): the exported files against the PyTorch model's own
test_step, on real configs with saved (random) weights."""

import importlib.util
import os.path as osp
import warnings

import pytest
import torch
from torch.nn.modules.batchnorm import _BatchNorm

from mmdepthsr.apis import (
    DepthExportWrapper,
    export_example_inputs,
    export_lr_normalization,
    export_model,
    export_reference_outputs,
    init_model,
    run_exported,
)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
V3 = 'configs/v3_fusion/v3-fusion_lightenc_1xb8-300it_synthrooms-dsr-x8.py'
CLIFFNET = 'configs/cliffnet/cliffnet_r50_1xb2-300it_synthrooms-96x128.py'
BICUBIC_LU = 'configs/bicubic/bicubic_x8_lu-dsr.py'
PMBANET_MB = 'configs/pmbanet/pmbanet_x8_1xb8-400k_middlebury2005-256x256.py'


def _config(name):
    return osp.join(ROOT, name)


def _model(name):
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', message='init_model')
        return init_model(_config(name))


def _perturb(model):
    """Seeded noise on every parameter: zero-initialised output layers
    (the residual of the SR head) then give outputs that depend on every
    input, so that a wrong normalisation shows."""
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for param in model.parameters():
            noise = torch.randn(param.shape, generator=gen)
            param.add_(0.05 * noise)
    return model


def _calibrate_batch_norm(model):
    """Running statistics of every batch norm from two batches of the
    export's own example images, through the model's data preprocessor.

    Random weights with the default statistics (mean 0, variance 1) let
    a ResNet-50 reach outputs of 1e16; float32 then decides the sign of
    a near-zero pixel, and a clamped output flips between its bounds
    from one backend to the other. Calibrated, the outputs are O(1) and
    the comparison with the exported graph is well-conditioned.
    """
    norms = [m for m in model.modules() if isinstance(m, _BatchNorm)]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # cumulative average over the batches
    model.train()
    with torch.no_grad():
        for seed in (100, 101):
            imgs = [
                export_example_inputs(model, (96, 128), seed + 2 * i)[0][0]
                for i in range(2)
            ]
            batch = model.data_preprocessor(dict(inputs=imgs), False)
            model._forward(batch['inputs'])
    model.eval()


def _checkpoint(name, folder, calibrate=False):
    """A checkpoint of the config's model with seeded random weights
    (and, with ``calibrate``, batch-norm statistics from example images:
    models that take an image only)."""
    torch.manual_seed(0)
    model = _perturb(_model(name))
    if calibrate:
        _calibrate_batch_norm(model)
    path = str(folder / 'weights.pth')
    torch.save(dict(state_dict=model.state_dict()), path)
    return path


def _tool(fmt):
    path = osp.join(ROOT, 'tools', 'deployment', f'pytorch2{fmt}.py')
    spec = importlib.util.spec_from_file_location(f'export_{fmt}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lr_normalization_follows_the_whole_image_test_path():
    # Tiled test with the LR-max tile rule: the whole image is one tile.
    assert export_lr_normalization(_model(V3)) == dict(
        mode='max', pixels='valid', value_range=None, source='test_cfg'
    )
    # hr_minmax of the benchmark pipeline, reduced to LR statistics.
    assert export_lr_normalization(_model(BICUBIC_LU)) == dict(
        mode='minmax', pixels='all', value_range=None, source='pipeline'
    )
    assert export_lr_normalization(_model(PMBANET_MB)) == dict(
        mode='fixed', pixels='valid', value_range=(0.0, 255.0),
        source='pipeline',
    )  # fmt: skip
    assert export_lr_normalization(_model(CLIFFNET)) is None


def test_joint_wrapper_matches_one_tile_predict_and_needs_the_rule():
    model = _perturb(_model(V3))
    inputs = export_example_inputs(model, (64, 96))
    assert [tuple(x.shape) for x in inputs] == [(1, 3, 64, 96), (1, 1, 8, 12)]
    rule = export_lr_normalization(model)
    reference = export_reference_outputs(model, inputs, rule)
    wrapper = DepthExportWrapper(model, rule).eval()
    with torch.no_grad():
        sr, depth = wrapper(*inputs)
    assert wrapper.output_names == ('sr_depth', 'depth')
    torch.testing.assert_close(sr, reference['sr_depth'], atol=1e-5, rtol=0)
    torch.testing.assert_close(depth, reference['depth'], atol=1e-5, rtol=0)
    # The test_cfg is the model's again afterwards.
    assert model.test_cfg['mode'] == 'slide'
    assert model.test_cfg['patch_size'] == (64, 64)
    # Without the LR normalisation the network reads metres: the residual
    # is not scaled back and the SR depth is off by far more than 1e-4
    # (the wrapper runs the model without its own tile rule).
    raw = DepthExportWrapper(model, None).eval()
    with torch.no_grad():
        sr_raw, _ = raw(*inputs)
    assert float((sr_raw - reference['sr_depth']).abs().max()) > 1e-3


def test_torchscript_tool_on_the_joint_model(tmp_path, capsys):
    ckpt = _checkpoint(V3, tmp_path)
    out = str(tmp_path / 'v3.pt')
    argv = [_config(V3), ckpt, '--shape', '64', '96', '--out', out]
    assert _tool('torchscript').main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert (
        lines[0] == f'Exported JointDepthSR to {out} (TorchScript, fixed size)'
    )
    assert lines[2] == 'outputs: sr_depth, depth (metres)'
    assert 'max of the valid LR pixels' in lines[3]
    assert lines[-1].startswith('check 64 x 96:')
    assert lines[-1].endswith('(atol 0.0001): OK')
    # The file stands alone: loaded back, it gives predict() in metres on
    # another input of the same size.
    model = init_model(_config(V3), ckpt)
    inputs = export_example_inputs(model, (64, 96), seed=3)
    inputs = (inputs[0], inputs[1] * 2.0)
    reference = export_reference_outputs(
        model, inputs, export_lr_normalization(model)
    )
    sr, depth = run_exported(out, inputs)
    assert sr.shape == depth.shape == (1, 1, 64, 96)
    torch.testing.assert_close(
        torch.from_numpy(sr), reference['sr_depth'], atol=1e-4, rtol=0
    )
    torch.testing.assert_close(
        torch.from_numpy(depth), reference['depth'], atol=1e-4, rtol=0
    )


def test_torchscript_mde_and_bicubic(tmp_path):
    report = export_model(
        _config(CLIFFNET),
        _checkpoint(CLIFFNET, tmp_path, calibrate=True),
        (96, 128),
        str(tmp_path / 'cliffnet.pt'),
    )
    assert report['inputs'] == dict(img=[1, 3, 96, 128])
    assert report['outputs'] == ['depth']
    assert report['outside_graph'] == ['Resize']
    assert report['checks'][0]['max_abs_diff']['depth'] <= 1e-4
    # Parameter-free: no checkpoint; the hr_minmax rule with LR statistics.
    report = export_model(
        _config(BICUBIC_LU), None, (64, 96), str(tmp_path / 'bicubic.pt')
    )
    assert report['outputs'] == ['sr_depth']
    assert report['checks'][0]['max_abs_diff']['sr_depth'] <= 1e-4


def test_tool_fails_above_tolerance_and_on_bad_shapes(
    tmp_path, monkeypatch, capsys
):
    import mmdepthsr.apis.export as export

    def off_by_a_millimetre(path, inputs, fmt=None):
        return [out + 1e-3 for out in run_exported(path, inputs, fmt)]

    monkeypatch.setattr(export, 'run_exported', off_by_a_millimetre)
    argv = [_config(BICUBIC_LU), 'none', '--shape', '64', '96']
    assert _tool('torchscript').main([*argv, '--out', f'{tmp_path}/b.pt']) == 1
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith('check 64 x 96: max |exported - predict()| ')
    assert last.endswith('FAILED')
    with pytest.raises(SystemExit, match='divisible by scale_factor 8'):
        _tool('torchscript').main(
            [_config(BICUBIC_LU), 'none', '--shape', '60', '96', '--out', 'x']
        )


def test_onnx_tool_dynamic_sizes(tmp_path, capsys):
    pytest.importorskip('onnx')
    pytest.importorskip('onnxruntime')
    ckpt = _checkpoint(V3, tmp_path)
    out = str(tmp_path / 'v3.onnx')
    argv = [_config(V3), ckpt, '--shape', '64', '96', '--out', out]
    assert _tool('onnx').main([*argv, '--dynamic', '--opset', '17']) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith('(ONNX, dynamic height and width)')
    # Checked at the export size and at a larger one (+16: the
    # preprocessor's size_divisor).
    assert lines[-2].startswith('check 64 x 96:') and lines[-2].endswith('OK')
    assert lines[-1].startswith('check 80 x 112:') and lines[-1].endswith('OK')


def _float32_error(name, ckpt, shape):
    """Largest difference of the model's float32 depth from its float64
    depth on the export's example image: the rounding error that the
    network itself amplifies, which bounds how closely any other float32
    backend can agree with PyTorch."""
    model = _model(name)
    model.load_state_dict(torch.load(ckpt)['state_dict'])
    model.eval()
    img = export_example_inputs(model, shape, 0)[0][0]
    x = model.data_preprocessor(dict(inputs=[img]), False)['inputs']
    with torch.no_grad():
        single = model.float()._forward(x.float()).double()
        double = model.double()._forward(x.double())
    return float((single - double).abs().max())


def test_onnx_mde_and_bicubic(tmp_path):
    pytest.importorskip('onnx')
    pytest.importorskip('onnxruntime')
    ckpt = _checkpoint(CLIFFNET, tmp_path, calibrate=True)
    report = export_model(
        _config(CLIFFNET), ckpt, (96, 128), str(tmp_path / 'cliffnet.onnx'),
        fmt='onnx',
    )  # fmt: skip
    # onnxruntime's convolutions round differently from PyTorch's; through
    # a ResNet-50 with random weights that reaches ~1e-3 m, the same size
    # as PyTorch's own float32 error. A wrong graph is off by metres.
    error = _float32_error(CLIFFNET, ckpt, (96, 128))
    assert error < 5e-3
    assert report['checks'][0]['max_abs_diff']['depth'] <= max(1e-4, 4 * error)
    # The image of the bicubic baseline only gives the output size; the
    # graph keeps lr_depth as its one input.
    report = export_model(
        _config(BICUBIC_LU),
        None,
        (64, 96),
        str(tmp_path / 'bicubic.onnx'),
        fmt='onnx',
    )
    assert report['checks'][0]['max_abs_diff']['sr_depth'] <= 1e-4
    with pytest.raises(ValueError, match='ONNX option'):
        export_model(_config(BICUBIC_LU), None, (64, 96), 'x.pt', dynamic=True)


def test_calibrated_checkpoint_gives_unsaturated_depth(tmp_path):
    # The export checks compare clamped depth: they only mean something
    # when the test weights put most pixels strictly inside the clamp.
    model = _model(CLIFFNET)
    ckpt = torch.load(_checkpoint(CLIFFNET, tmp_path, calibrate=True))
    model.load_state_dict(ckpt['state_dict'])
    model.eval()
    inputs = export_example_inputs(model, (96, 128), 0)
    depth = export_reference_outputs(model, inputs, None)['depth']
    low, high = model.test_cfg['clamp']
    inside = ((depth > low) & (depth < high)).float().mean()
    assert 0.2 < float(inside) < 1.0
