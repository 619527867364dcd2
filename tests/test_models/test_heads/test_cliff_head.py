"""CLIFFHead: upsampling to the input size, loss keys, losses in metres."""

import pytest
import torch
from mmengine.structures import PixelData

from mmdepthsr.models.heads import CLIFFHead
from mmdepthsr.structures import DenseDataSample


def _sample(gt, **meta):
    sample = DenseDataSample(metainfo=meta)
    sample.gt_depth = PixelData(data=gt)
    return sample


def test_forward_upsamples_the_stride4_prediction():
    head = CLIFFHead(4)
    with torch.no_grad():
        head.pred_convs[0].weight.zero_()
        head.pred_convs[0].bias.fill_(2.5)
    (pred,) = head([torch.randn(2, 4, 3, 5)], out_size=(11, 19))
    assert tuple(pred.shape) == (2, 1, 11, 19)
    torch.testing.assert_close(pred, torch.full((2, 1, 11, 19), 2.5))
    assert sum(p.numel() for p in head.parameters()) == 4 * 9 + 1


def test_loss_keys():
    assert CLIFFHead(4).loss_names == ('loss_depth_l1',)
    head = CLIFFHead(
        4,
        loss_decode=[
            dict(type='L1Loss'),
            dict(type='HierarchicalEmbeddingLoss', warmup_iters=0),
        ],
    )
    assert head.loss_names == ('loss_depth_0_l1', 'loss_depth_heg')
    with pytest.raises(ValueError, match='duplicate'):
        CLIFFHead(
            4,
            loss_decode=[
                dict(type='HierarchicalEmbeddingLoss'),
                dict(type='HierarchicalEmbeddingLoss'),
            ],
        )
    with pytest.raises(ValueError, match='must not be empty'):
        CLIFFHead(4, loss_decode=[])


def test_loss_in_metres_resized_to_the_ground_truth():
    """A constant normalised prediction 0.5 with depth_norm_max 4 is 2 m;
    against a 3 m ground truth twice the input size with one invalid row
    the masked L1 is 1 m, times loss_weight."""
    head = CLIFFHead(4, loss_weight=0.5)
    with torch.no_grad():
        head.pred_convs[0].weight.zero_()
        head.pred_convs[0].bias.fill_(0.5)
    gt = torch.full((1, 8, 8), 3.0)
    gt[:, 0] = 0.0
    samples = [_sample(gt, depth_norm_min=0.0, depth_norm_max=4.0)]
    losses = head.loss([torch.randn(1, 4, 1, 1)], samples, out_size=(4, 4))
    assert list(losses) == ['loss_depth_l1']
    assert losses['loss_depth_l1'].item() == pytest.approx(0.5 * 1.0)
