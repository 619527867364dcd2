"""init_model / inference_model on tiny inputs."""

import os.path as osp
from collections import OrderedDict

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmcv.transforms import BaseTransform
from mmengine.config import Config
from PIL import Image

from mmdepthsr.apis import inference_model, init_model
from mmdepthsr.apis.inference import build_inference_pipeline, load_lr_depth
from mmdepthsr.datasets.transforms import DenseTransform, NormalizeDepth
from mmdepthsr.registry import TRANSFORMS
from mmdepthsr.structures import DenseDataSample

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BICUBIC_SYNTH = osp.join(
    ROOT, 'configs', 'bicubic', 'bicubic_x8_synthrooms-dsr.py'
)
BICUBIC_NYU_X4 = osp.join(ROOT, 'configs', 'bicubic', 'bicubic_x4_nyu-dsr.py')
EIGEN_SYNTH = osp.join(
    ROOT,
    'configs',
    'eigen2014',
    'eigen2014-coarse_alexnet_1xb8-150it_synthrooms-228x304.py',
)

MEAN_CONFIG = f"""
_base_ = [{osp.join(ROOT, 'configs', '_base_', 'default_runtime.py')!r}]
model = dict(
    type='MeanDepthBaseline',
    data_preprocessor=dict(type='DenseDataPreprocessor'))
test_dataloader = dict(
    batch_size=1,
    dataset=dict(
        type='SynthRoomsDataset', split='test', num_samples=2,
        pipeline=[
            dict(type='LoadRGBImage'),
            dict(type='LoadDepth', depth_scale=1000.0),
            dict(type='PackDenseInputs', meta_keys=('img_path', 'ori_shape',
                                                    'img_shape')),
        ]))
"""


def _rgb(height, width, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)


def _lr(height, width, seed=1):
    rng = np.random.default_rng(seed)
    return rng.uniform(0.5, 6.0, (height, width)).astype(np.float32)


def _bicubic(lr, size):
    lr = torch.from_numpy(np.asarray(lr, np.float32))[None, None]
    return F.interpolate(lr, size=size, mode='bicubic', align_corners=False)[0]


@pytest.fixture
def mean_config(tmp_path):
    path = tmp_path / 'mean_depth.py'
    path.write_text(MEAN_CONFIG)
    return str(path)


def test_init_model_loads_an_mmengine_checkpoint(tmp_path, mean_config):
    checkpoint = str(tmp_path / 'mean.pth')
    torch.save(
        dict(
            meta=dict(iter=3, dataset_meta=dict(name='tiny')),
            state_dict=OrderedDict(mean_depth=torch.tensor(2.5)),
        ),
        checkpoint,
    )
    model = init_model(mean_config, checkpoint)
    assert not model.training
    assert model.cfg.model.type == 'MeanDepthBaseline'
    assert model.dataset_meta == dict(name='tiny')
    assert float(model.mean_depth) == 2.5
    # The reduced pipeline drops LoadRGBImage / LoadDepth, keeps the packer
    # and its meta keys.
    steps, notes = build_inference_pipeline(model.cfg)
    assert [s['type'] for s in steps] == ['PackDenseInputs']
    assert 'img_shape' in steps[0]['meta_keys']
    assert notes == []
    result = inference_model(model, _rgb(12, 20))
    assert isinstance(result, DenseDataSample)
    assert result.pred_depth.data.shape == (1, 12, 20)
    assert torch.all(result.pred_depth.data == 2.5)


def test_init_model_without_checkpoint(mean_config):
    # No parameter (a buffer only): no warning, the built value is kept.
    model = init_model(mean_config, None, cfg_options={'model.mean_depth': 4})
    assert float(model.mean_depth) == 4.0
    with pytest.raises(TypeError, match='config must be a file path'):
        init_model(dict(model=dict(type='MeanDepthBaseline')))


@pytest.mark.slow  # builds the 70 M-parameter Eigen coarse network
def test_mde_inference_at_input_size():
    with pytest.warns(UserWarning, match='no checkpoint was given'):
        model = init_model(EIGEN_SYNTH)
    steps, _ = build_inference_pipeline(model.cfg)
    assert [s['type'] for s in steps] == ['Resize', 'PackDenseInputs']
    results = inference_model(model, [_rgb(60, 80), _rgb(30, 40, seed=2)])
    assert isinstance(results, list) and len(results) == 2
    assert results[0].pred_depth.data.shape == (1, 60, 80)
    assert results[1].pred_depth.data.shape == (1, 30, 40)
    assert results[0].metainfo['img_shape'] == (228, 304)
    for result in results:
        assert (result.pred_depth.data > 0).all()
        assert 'pred_sr_depth' not in result


def test_bicubic_equals_torch_interpolate_of_the_input():
    model = init_model(BICUBIC_SYNTH)
    assert sum(p.numel() for p in model.parameters()) == 0
    lr = _lr(6, 10)
    result = inference_model(model, _rgb(48, 80), lr)
    pred = result.pred_sr_depth.data
    assert pred.shape == (1, 48, 80)
    torch.testing.assert_close(pred, _bicubic(lr, (48, 80)))
    # Not a trivial upsampling: it differs from nearest neighbour.
    nearest = np.kron(lr, np.ones((8, 8), np.float32))
    assert (pred[0].numpy() - nearest).std() > 0.05


def test_nyu_config_normalises_with_lr_statistics(tmp_path):
    model = init_model(BICUBIC_NYU_X4)
    steps, notes = build_inference_pipeline(model.cfg)
    assert [s['type'] for s in steps] == ['NormalizeDepth', 'PackDenseInputs']
    assert steps[0]['stats_key'] == 'lr_depth'
    assert len(notes) == 1 and 'lr_depth' in notes[0]
    lr_mm = (_lr(8, 12) * 1000).astype(np.uint16)
    lr_path = str(tmp_path / 'lr.png')
    cv2.imwrite(lr_path, lr_mm)
    rgb_path = str(tmp_path / 'rgb.png')
    cv2.imwrite(rgb_path, _rgb(32, 48))
    with pytest.warns(UserWarning, match='NormalizeDepth'):
        result = inference_model(model, rgb_path, lr_path)
    metres = lr_mm.astype(np.float32) / 1000
    np.testing.assert_array_equal(load_lr_depth(lr_path), metres)
    assert result.metainfo['depth_norm_max'] == pytest.approx(metres.max())
    assert result.metainfo['depth_norm_min'] == pytest.approx(metres.min())
    # Normalised, interpolated and de-normalised: bicubic is affine
    # equivariant, so the result in metres is the plain interpolation,
    # PIL's for the NYU configs.
    pil = Image.fromarray(metres, mode='F').resize((48, 32), Image.BICUBIC)
    torch.testing.assert_close(
        result.pred_sr_depth.data,
        torch.from_numpy(np.array(pil))[None],
        rtol=0,
        atol=1e-5,
    )
    # depth_scale changes the unit of integer files.
    np.testing.assert_allclose(
        load_lr_depth(lr_path, depth_scale=256.0), lr_mm / 256.0, rtol=1e-6
    )
    npy = str(tmp_path / 'lr.npy')
    np.save(npy, metres)
    np.testing.assert_array_equal(load_lr_depth(npy), metres)


def test_load_lr_depth_refuses_8bit_unless_allowed(tmp_path):
    grey = np.array([[10, 200], [255, 0]], np.uint8)
    path = str(tmp_path / 'lr8.png')
    cv2.imwrite(path, grey)
    with pytest.raises(ValueError, match=r'lr8\.png is 8-bit.*0\.255 m'):
        load_lr_depth(path)
    np.testing.assert_array_equal(
        load_lr_depth(path, depth_scale=1.0, allow_8bit=True),
        grey.astype(np.float32),
    )


def test_errors(tmp_path):
    model = init_model(BICUBIC_SYNTH)
    with pytest.raises(ValueError, match='BicubicBaseline is a depth super'):
        inference_model(model, _rgb(16, 16))
    lr_path = str(tmp_path / 'small.png')
    cv2.imwrite(lr_path, np.full((3, 3), 1500, np.uint16))
    with pytest.raises(ValueError, match=r'small\.png has size \(3, 3\)'):
        inference_model(model, _rgb(16, 16), lr_path)
    with pytest.raises(ValueError, match=r'array of image 0 has size'):
        inference_model(model, _rgb(16, 16), _lr(4, 4))
    with pytest.raises(ValueError, match='2 images but 1 lr_depth'):
        inference_model(model, [_rgb(16, 16)] * 2, [_lr(2, 2)])
    with pytest.raises(ValueError, match='H x W x 3'):
        inference_model(model, _rgb(16, 16)[..., 0], _lr(2, 2))
    with pytest.raises(FileNotFoundError, match='nope.png'):
        inference_model(model, _rgb(16, 16), str(tmp_path / 'nope.png'))
    with pytest.raises(ValueError, match='negative'):
        inference_model(model, _rgb(16, 16), -_lr(2, 2))
    with pytest.raises(AttributeError, match='init_model'):
        inference_model(torch.nn.Linear(1, 1), _rgb(16, 16))


def test_pipeline_crop_lands_at_its_place_in_the_input():
    cfg = Config(
        dict(
            default_scope='mmdepthsr',
            model=dict(
                type='MeanDepthBaseline',
                mean_depth=2.0,
                data_preprocessor=dict(type='DenseDataPreprocessor'),
            ),
            test_dataloader=dict(
                dataset=dict(
                    type='SynthRoomsDataset',
                    pipeline=[
                        dict(type='LoadRGBImage'),
                        dict(type='Resize', scale_factor=2.0),
                        dict(type='CenterCrop', crop_size=(20, 40)),
                        dict(type='PackDenseInputs'),
                    ],
                )
            ),
        )
    )
    result = inference_model(init_model(cfg), _rgb(30, 40))
    depth = result.pred_depth.data[0]
    assert depth.shape == (30, 40)
    # 60 x 80 after the resize, rows 20:40 and columns 20:60 kept: rows
    # 10:20 and columns 10:30 of the input; no prediction elsewhere.
    assert result.metainfo['gt_crop_box'] == (10, 20, 10, 30)
    expected = torch.zeros(30, 40)
    expected[10:20, 10:30] = 2.0
    torch.testing.assert_close(depth, expected)


#: The transforms the inference pipeline left out by name before they
#: declared it themselves.
PREVIOUSLY_DROPPED = (
    'LoadRGBImage',
    'LoadDepth',
    'LoadDisparityDepth',
    'LoadVelodyneDepth',
    'LoadSemSeg',
    'LoadNormal',
    'GenerateLRDepth',
    'RandomFlip',
    'RandomCrop',
    'RandomScale',
    'RandomRotate',
    'RandomColorGain',
)


@TRANSFORMS.register_module(force=True)
class _UserJitter(DenseTransform):
    """A user augmentation that only declares itself training-only."""

    training_only = True

    def transform(self, results):
        return results


@TRANSFORMS.register_module(force=True)
class _UserGTStats(DenseTransform):
    needs_gt = True

    def transform(self, results):
        return results


class _PlainStep(BaseTransform):
    training_only = True  # not read: only DenseTransform declares steps

    def transform(self, results):
        return results


def _pipeline_cfg(pipeline):
    return Config(dict(test_dataloader=dict(dataset=dict(pipeline=pipeline))))


def test_inference_pipeline_drops_by_class_attributes():
    kept = [dict(type='Resize', scale=(8, 8)), dict(type='CenterCrop')]
    pipeline = [dict(type=name) for name in PREVIOUSLY_DROPPED]
    pipeline += [dict(type='_UserJitter'), dict(type=_UserGTStats), *kept]
    steps, notes = build_inference_pipeline(_pipeline_cfg(pipeline))
    assert steps == [*kept, dict(type='PackDenseInputs')]
    assert notes == []
    for name in PREVIOUSLY_DROPPED:
        transform = TRANSFORMS.get(name)
        assert issubclass(transform, DenseTransform)
        assert transform.inference_cfg(dict(type=name)) == (None, None)
    # A transform that is not a DenseTransform is kept as it is.
    other = dict(type=_PlainStep)
    steps, _ = build_inference_pipeline(_pipeline_cfg([other]))
    assert steps[0] == other


@pytest.mark.parametrize(
    'cfg, stats_key',
    [
        (dict(), 'lr_depth'),
        (dict(stats_key='lr_depth', mode='max'), 'lr_depth'),
        (dict(mode='fixed', value_range=(0, 255)), None),
    ],
)
def test_normalize_depth_inference_cfg(cfg, stats_key):
    step, note = NormalizeDepth.inference_cfg(
        dict(type='NormalizeDepth', **cfg)
    )
    assert step.get('stats_key') == stats_key
    assert (note is not None) == (
        'stats_key' not in cfg and stats_key is not None
    )


# ----------------------------------------------------------------- CUDA

V3_SYNTH = osp.join(
    ROOT,
    'configs',
    'v3_fusion',
    'v3-fusion_lightenc_1xb8-300it_synthrooms-dsr-x8.py',
)


def write_v3_checkpoint(path) -> str:
    """Weights of the v3 SynthRooms model drawn after
    ``torch.manual_seed(0)``, as an MMEngine-style checkpoint."""
    from mmdepthsr.registry import MODELS

    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(V3_SYNTH).model)
    torch.save(dict(meta=dict(), state_dict=model.state_dict()), str(path))
    return str(path)


def v3_predictions(checkpoint, device):
    """v3 (tiled inference with per-tile normalisation, the config's
    ``test_cfg``) on a 240 x 320 image and its 30 x 40 LR depth; the
    predictions moved to the CPU, by key."""
    model = init_model(V3_SYNTH, checkpoint, device=device)
    assert model.test_cfg['mode'] == 'slide'
    assert {p.device.type for p in model.parameters()} == {device}
    result = inference_model(model, _rgb(240, 320), lr_depth=_lr(30, 40))
    keys = ('pred_sr_depth', 'pred_depth')
    return {k: result.get(k).data.cpu() for k in keys}


@pytest.mark.cuda
def test_v3_slide_inference_on_cuda_equals_cpu(tmp_path):
    checkpoint = write_v3_checkpoint(tmp_path / 'v3.pth')
    cpu = v3_predictions(checkpoint, 'cpu')
    # float32 convolutions on the GPU too (no TF32)
    backends = (torch.backends.cudnn, torch.backends.cuda.matmul)
    saved = [b.allow_tf32 for b in backends]
    try:
        for backend in backends:
            backend.allow_tf32 = False
        cuda = v3_predictions(checkpoint, 'cuda')
    finally:
        for backend, value in zip(backends, saved):
            backend.allow_tf32 = value
    for key, expected in cpu.items():
        assert expected.shape == (1, 240, 320), key
        assert expected.std() > 0, key
        # metres: about 1 mm at most, far below what a misplaced tile changes
        torch.testing.assert_close(
            cuda[key], expected, rtol=1e-3, atol=1e-4, msg=key
        )
