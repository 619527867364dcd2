"""Ground truth at coarse scales: depth block means, label subsampling,
normal block means, by hand-computed values."""

import pytest
import torch

from mmdepthsr.models.utils import (
    downsample_depth_gt,
    downsample_normal_gt,
    subsample_labels,
)


def test_downsample_depth_gt_hand_values():
    gt = torch.tensor([[[[1.0, 3.0, 0.0, 0.0], [0.0, 2.0, 0.0, 4.0]]]])
    # masked mean of the valid pixels of each 2x2 block: (1+3+2)/3, 4/1
    out = downsample_depth_gt(gt, 2)
    torch.testing.assert_close(out, torch.tensor([[[[2.0, 4.0]]]]))
    # nearest: pixel (1, 1) of each block
    out = downsample_depth_gt(gt, 2, 'nearest')
    torch.testing.assert_close(out, torch.tensor([[[[2.0, 4.0]]]]))
    gt = torch.zeros(1, 1, 4, 4)
    gt[0, 0, 0, 0] = 5.0
    out = downsample_depth_gt(gt, 2)
    torch.testing.assert_close(out, torch.tensor([[[[5.0, 0.0], [0.0, 0.0]]]]))
    assert downsample_depth_gt(gt, 1) is gt
    with pytest.raises(ValueError, match='mode'):
        downsample_depth_gt(gt, 2, 'area')
    with pytest.raises(ValueError, match='divisible'):
        downsample_depth_gt(gt, 3)


def test_subsample_labels_takes_block_centres():
    labels = torch.arange(16).view(1, 1, 4, 4)
    assert subsample_labels(labels, 2).tolist() == [[[[5, 7], [13, 15]]]]
    assert subsample_labels(labels, 4).tolist() == [[[[10]]]]
    assert subsample_labels(labels, 1) is labels
    with pytest.raises(ValueError, match='subsample_labels.*divisible'):
        subsample_labels(labels, 3)


def test_downsample_normal_gt_renormalised_block_mean():
    gt = torch.zeros(1, 3, 2, 4)
    gt[0, 2, 0, 0] = 1.0
    gt[0, 0, 1, 1] = 1.0  # block 0: +z and +x -> (1, 0, 1) / sqrt 2
    gt[0, 0, 0, 2] = 1.0
    gt[0, 0, 1, 3] = -1.0  # block 1: cancels -> invalid (zero vector)
    out = downsample_normal_gt(gt, 2)
    s = 0.5**0.5
    torch.testing.assert_close(out[0, :, 0, 0], torch.tensor([s, 0.0, s]))
    torch.testing.assert_close(out[0, :, 0, 1], torch.zeros(3))
