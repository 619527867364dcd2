"""CoupledDepthSR (v1): branch normalisation, losses in metres and their
keys, both outputs at test time (whole and tiled), checkpoints of the
layout with two whole estimators."""

from functools import partial

import pytest
import torch
from mmengine.structures import PixelData

from mmdepthsr.registry import MODELS
from mmdepthsr.structures import DenseDataSample

# close to the recorded legacy outputs: the fixtures were written with
# another thread count, whose summation order changes the last bits, and
# the deep PMBANet stages amplify that to about 1e-5
_close = partial(torch.testing.assert_close, rtol=1e-4, atol=1e-4)

CLIFF_MEAN = [102.98, 115.95, 122.77]


def _cfg(**kwargs):
    cfg = dict(
        type='CoupledDepthSR',
        scale_factor=2,
        sr_decoder=dict(
            type='PMBADecoder', channels=4, shallow_channels=8, num_af_blocks=1
        ),
        backbone=dict(
            type='LightConvEncoder', in_channels=3, channels=(4, 4, 4, 4)
        ),
        neck=dict(type='FPN', in_channels=(4, 4, 4, 4), out_channels=4),
        depth_decoder=dict(
            type='CLIFFDecoder', in_channels=4, channels=4, head_channels=4
        ),
        branch_norm=dict(
            sr=dict(mean=[0.0] * 3, std=[255.0] * 3),
            depth=dict(mean=CLIFF_MEAN, std=[1.0] * 3, bgr_to_rgb=True),
        ),
    )
    cfg.update(kwargs)
    return cfg


def _model(**kwargs):
    torch.manual_seed(0)
    model = MODELS.build(_cfg(**kwargs))
    model.init_weights()
    return model


def _batch(model, norm_max=4.0, num=1, width=16):
    gen = torch.Generator().manual_seed(0)
    imgs, samples = [], []
    for _ in range(num):
        imgs.append(
            torch.randint(0, 256, (3, 16, width), generator=gen).to(
                torch.uint8
            )
        )
        sample = DenseDataSample(
            metainfo=dict(
                img_shape=(16, width),
                ori_shape=(16, width),
                scale_factor=2,
                depth_norm_min=0.0,
                depth_norm_max=norm_max,
                img_path='toy.png',
            )
        )
        gt = 1.0 + 2.0 * torch.rand(1, 16, width, generator=gen)
        gt[:, :2] = 0.0  # invalid rows
        sample.gt_depth = PixelData(data=gt)
        sample.lr_depth = PixelData(
            data=torch.rand(1, 8, width // 2, generator=gen)
        )
        samples.append(sample)
    return model.data_preprocessor(
        dict(inputs=imgs, data_samples=samples), True
    )


def _branch_inputs(model, inputs, lr):
    seen = {}
    model.decoders['sr'].register_forward_hook(
        lambda m, args, out: seen.__setitem__('sr', args[0])
    )
    model.backbone.register_forward_hook(
        lambda m, args, out: seen.__setitem__('depth', args[0])
    )
    model.forward_test(inputs, lr)
    return seen


@pytest.mark.parametrize('outer_norm', [False, True])
def test_each_branch_reads_its_own_normalisation(outer_norm):
    """PMBANet's RGB / 255 and CLIFFNet's BGR minus the Caffe mean, whether
    the data preprocessor normalises or not."""
    pre = dict(type='DenseDataPreprocessor')
    if outer_norm:
        pre.update(mean=[120.0, 110.0, 100.0], std=[60.0, 50.0, 40.0])
    model = _model(data_preprocessor=pre).eval()
    data = _batch(model)
    raw = torch.stack([s for s in data['inputs']])
    if outer_norm:
        raw = model.data_preprocessor.denormalize(raw)
    lr = model.extract_lr_depth(data['inputs'], data['data_samples'])
    with torch.no_grad():
        seen = _branch_inputs(model, data['inputs'], lr)
    mean = torch.tensor(CLIFF_MEAN).view(1, 3, 1, 1)
    expected = dict(sr=raw / 255, depth=raw[:, [2, 1, 0]] - mean)
    for task in ('sr', 'depth'):
        if outer_norm:
            torch.testing.assert_close(seen[task], expected[task])
        else:
            assert torch.equal(seen[task], expected[task])


def test_losses_in_metres_and_their_keys():
    model = _model(loss_weights=dict(rec=2.0, est=0.5, cons=0.25)).eval()
    data = _batch(model, norm_max=4.0)
    with torch.no_grad():
        losses = model(**data, mode='loss')
        lr = model.extract_lr_depth(data['inputs'], data['data_samples'])
        outs = model.forward_test(data['inputs'], lr)
    assert list(losses) == [
        'loss_sr',
        'loss_depth_l1',
        'loss_depth_consistency',
    ]
    sr, mde = 4.0 * outs['sr'], 4.0 * outs['depth']  # metres
    gt = data['data_samples'][0].gt_depth.data[None]
    valid = gt > 0
    torch.testing.assert_close(
        losses['loss_sr'], 2.0 * (sr - gt).abs()[valid].mean()
    )
    torch.testing.assert_close(
        losses['loss_depth_l1'], 0.5 * (mde - gt).abs()[valid].mean()
    )
    torch.testing.assert_close(
        losses['loss_depth_consistency'], 0.25 * (sr - mde).abs().mean()
    )


def test_gradients_reach_both_branches():
    model = _model().train()
    losses = model(**_batch(model, num=2), mode='loss')
    sum(losses.values()).backward()
    assert model.heads['sr'].pred_convs[0].weight.grad.abs().sum() > 0
    assert model.decoders['sr'].depth_stem[0][0].weight.grad.abs().sum() > 0
    assert model.heads['depth'].pred_convs[0].weight.grad.abs().sum() > 0
    assert model.backbone.stages[0][0][0].weight.grad.abs().sum() > 0


@pytest.mark.parametrize(
    'test_cfg',
    [
        dict(mode='whole'),
        dict(mode='slide', patch_size=(16, 16), normalize='max'),
    ],
)
def test_predict_writes_both(test_cfg):
    model = _model(test_cfg=test_cfg).eval()
    data = _batch(model, norm_max=4.0, width=32)
    with torch.no_grad():
        (result,) = model(**data, mode='predict')
        if test_cfg['mode'] == 'whole':
            lr = model.extract_lr_depth(data['inputs'], data['data_samples'])
            outs = model.forward_test(data['inputs'], lr)
            expected = {k: 4.0 * v[0] for k, v in outs.items()}
        else:  # two tiles, each normalised by its LR maximum
            lr = 4.0 * data['data_samples'][0].lr_depth.data[None]
            tiles = {'sr': [], 'depth': []}
            for i in (0, 8):
                tile = lr[..., i : i + 8]
                peak = tile.amax()
                img = data['inputs'][..., 2 * i : 2 * i + 16]
                for key, value in model.forward_test(img, tile / peak).items():
                    tiles[key].append(value * peak)
            expected = {k: torch.cat(v, dim=-1)[0] for k, v in tiles.items()}
    # The model runs the two tiles as one batch, the reference one by one:
    # the convolution kernels chosen per batch size round differently in
    # float32 (1.6e-5 on values near 4 on some CPUs). A wrong tile rule
    # would be off by the ratio of the tiles' maxima, orders above this.
    tol = dict(rtol=1e-5, atol=1e-4)
    sr, depth = result.pred_sr_depth.data, result.pred_depth.data
    torch.testing.assert_close(sr, expected['sr'], **tol)
    torch.testing.assert_close(depth, expected['depth'], **tol)


def test_errors():
    with pytest.raises(KeyError, match='unknown loss_weights'):
        MODELS.build(_cfg(loss_weights=dict(sr=1.0)))
    with pytest.raises(ValueError, match='scale_factor'):
        MODELS.build(_cfg(sr_decoder=dict(type='PMBADecoder', scale_factor=4)))
    with pytest.raises(ValueError, match='in loss_weights'):
        MODELS.build(_cfg(depth_head=dict(type='CLIFFHead', loss_weight=2)))
    with pytest.raises(KeyError, match='unknown branches'):
        MODELS.build(_cfg(branch_norm=dict(mde=dict(mean=[0] * 3))))
    with pytest.raises(KeyError, match='mean and std'):
        MODELS.build(_cfg(branch_norm=dict(sr=dict(mean=[0] * 3))))
    with pytest.raises(ValueError, match='head of task'):
        MODELS.build(_cfg(sr_head=dict(type='DepthHead')))


def test_checkpoint_with_two_estimators_loads_and_matches(replay_legacy):
    """The state dict of v1 as two whole estimators (``sr_model.*``:
    PMBANet, ``mde_model.*``: CLIFFNet with the HEG loss) loads strictly
    into the composition and gives the recorded outputs, losses (under
    their new keys) and predictions exactly."""
    model = MODELS.build(
        _cfg(
            sr_decoder=dict(
                type='PMBADecoder',
                channels=8,
                shallow_channels=16,
                num_af_blocks=2,
            ),
            backbone=dict(
                type='LightConvEncoder', in_channels=3, channels=(4, 8, 8, 16)
            ),
            neck=dict(type='FPN', in_channels=(4, 8, 8, 16), out_channels=8),
            depth_decoder=dict(
                type='CLIFFDecoder', in_channels=8, channels=8, head_channels=8
            ),
            depth_head=dict(
                type='CLIFFHead',
                loss_decode=[
                    dict(type='L1Loss'),
                    dict(type='HierarchicalEmbeddingLoss', warmup_iters=0),
                ],
            ),
            loss_weights=dict(rec=1.0, est=0.5, cons=0.1),
        )
    )
    ref, tensor, losses, preds = replay_legacy(
        model, 'coupled_depth_sr_v1_tiny.pth'
    )
    _close(tensor, ref['tensor'])
    renamed = dict(
        loss_sr='loss_sr',
        loss_mde_0_l1='loss_depth_0_l1',
        loss_mde_heg='loss_depth_heg',
        loss_consistency='loss_depth_consistency',
    )
    assert list(losses) == [renamed[k] for k in ref['losses']]
    for old, new in renamed.items():
        _close(losses[new], ref['losses'][old])
    for key in ('pred_sr_depth', 'pred_depth'):
        _close(preds[key], ref['preds'][key])
    state = ref['state_dict']
    assert torch.equal(
        model.heads['sr'].pred_convs[0].weight,
        state['sr_model.out_conv.weight'],
    )
    assert torch.equal(
        model.decoders['depth'].head_conv[0].weight,
        state['mde_model.decoder.head.0.0.weight'],
    )
