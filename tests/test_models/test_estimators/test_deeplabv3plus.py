"""The DeepLabv3+ config end to end (ResNet-50 standing in for
Xception-65): build, loss at the label size, predict."""

import os.path as osp

import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.structures import PixelData

from mmdepthsr.engine.config_validation import validate_config
from mmdepthsr.registry import MODELS
from mmdepthsr.structures import DenseDataSample

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(__file__))))
CONFIG = osp.join(
    ROOT,
    'configs',
    'deeplabv3plus',
    'deeplabv3plus_xception65_1xb8-80k_cityscapes-seg19-256x512.py',
)


def _batch(h, w, num_classes):
    gen = torch.Generator().manual_seed(0)
    inputs, samples = [], []
    for _ in range(2):
        inputs.append(
            torch.randint(0, 256, (3, h, w), generator=gen, dtype=torch.uint8)
        )
        sample = DenseDataSample(
            metainfo=dict(img_shape=(h, w), ori_shape=(h, w))
        )
        labels = torch.randint(0, num_classes, (1, h, w), generator=gen)
        labels[:, :4] = 255
        sample.gt_sem_seg = PixelData(data=labels)
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def _model():
    cfg = Config.fromfile(CONFIG)
    # Xception65 lives in another module; ResNet-50 res2 / res5 gives the
    # same (stride 4, 256 ch) + (2048 ch) pair at output stride 32
    cfg.model.backbone = dict(type='ResNet', depth=50, out_indices=(0, 3))
    torch.manual_seed(0)
    return cfg, MODELS.build(cfg.model)


def test_config_composition():
    cfg, model = _model()
    validate_config(cfg)
    assert cfg.optim_wrapper.optimizer.lr == 0.007
    assert Config.fromfile(CONFIG).model.backbone == dict(
        type='Xception65', output_stride=16
    )
    assert model.neck.in_channels == (256, 2048)
    assert model.neck.out_channels == (256, 256)
    assert model.neck.dilations == (6, 12, 18) and model.neck.separable
    decoder, head = model.decoders['seg'], model.heads['seg']
    assert decoder.in_channels == (256, 256) and decoder.separable
    assert head.in_channels == (256,) and head.scales == (4,)
    assert head.upsample_to_input and head.num_classes == 19
    assert head.pred_convs[0].kernel_size == (1, 1)
    n_params = sum(p.numel() for p in model.parameters())
    backbone = sum(p.numel() for p in model.backbone.parameters())
    # separable ASPP + decoder + 19-class classifier (256 * 19 + 19)
    assert n_params - backbone == 3_019_776 + 162_928 + 4_883


def test_loss_and_predict_end_to_end():
    cfg, model = _model()
    h, w = 64, 128
    model.train()
    data = model.data_preprocessor(_batch(h, w, 19), True)
    preds = model.forward_tasks(data['inputs'])
    assert tuple(preds['seg'][-1].shape) == (2, 19, h, w)
    losses = model(**data, mode='loss')
    assert list(losses) == ['loss_seg']
    # the loss is the cross-entropy of the upsampled logits at label size:
    # recompute it from the features in eval mode (no dropout, fixed BN)
    model.eval()
    with torch.no_grad():
        sources = model.extract_feat(data['inputs'])
        (feat,) = model.decode(sources)['seg']
        logits = F.interpolate(
            model.heads['seg'].pred_convs[0](feat),
            size=(h, w),
            mode='bilinear',
            align_corners=False,
        )
        labels = torch.stack(
            [s.gt_sem_seg.data for s in data['data_samples']]
        )[:, 0]
        expected = F.cross_entropy(logits, labels, ignore_index=255)
        losses = model(**data, mode='loss')
    assert feat.shape == (2, 256, h // 4, w // 4)
    torch.testing.assert_close(losses['loss_seg'], expected)

    model.train()
    total, _ = model.parse_losses(model(**data, mode='loss'))
    total.backward()
    assert (
        model.neck.branches[1].depthwise_conv.conv.weight.grad.abs().sum() > 0
    )
    assert model.decoders['seg'].low_level_proj[0].weight.grad.abs().sum() > 0

    model.eval()
    with torch.no_grad():
        results = model(
            **model.data_preprocessor(_batch(h, w, 19), False), mode='predict'
        )
    for result in results:
        assert result.seg_logits.data.shape == (19, h, w)
        assert result.pred_sem_seg.data.shape == (1, h, w)
        assert int(result.pred_sem_seg.data.max()) < 19
