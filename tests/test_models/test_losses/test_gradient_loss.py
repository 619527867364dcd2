"""Eigen & Fergus 2015 depth loss: scale-invariant + gradient matching."""

import math

import pytest
import torch

from mmdepthsr.models.losses import (
    EIGEN_LOG_DEPTH_SCALE,
    EigenGradientDepthLoss,
    ScaleInvariantLogLoss,
)
from mmdepthsr.registry import MODELS

E = math.e


def _image_a():
    """3x3 with two holes; in natural log, d = log pred - log gt is
    [[1, 0, -], [2, 1, 0], [-, 1, -1]] ('-' = invalid)."""
    target = torch.tensor(
        [[1.0, E, 0.0], [E, 1.0, 1.0], [0.0, E**2, 1.0]]
    ).view(1, 1, 3, 3)
    log_pred = torch.tensor(
        [[1.0, 1.0, 7.0], [3.0, 1.0, 0.0], [-5.0, 3.0, -1.0]]
    ).view(1, 1, 3, 3)
    return log_pred, target


def _image_b():
    """3x3 all valid (depth 1 m): d = 0 except d = 3 in the corner."""
    target = torch.ones(1, 1, 3, 3)
    log_pred = torch.zeros(1, 1, 3, 3)
    log_pred[0, 0, 2, 2] = 3.0
    return log_pred, target


def _loss(**kwargs):
    return EigenGradientDepthLoss(log_space_scale=None, **kwargs)


# Image A by hand: n = 7, sum d = 1+0+2+1+0+1-1 = 4,
# sum d^2 = 1+0+4+1+0+1+1 = 8.
SI_A = 8 / 7 - 0.5 * 4**2 / 7**2  # = 48/49
# x pairs with both valid: (1,0) (2,1) (1,0) (1,-1): diffs -1 -1 -1 -2
GX_A_SUM, GX_A_CNT = 1 + 1 + 1 + 4, 4
# y pairs with both valid: col0 (1,2); col1 (0,1) (1,1); col2 (0,-1)
GY_A_SUM, GY_A_CNT = 1 + 1 + 0 + 1, 4
# Image B: n = 9, sum d = 3, sum d^2 = 9; 6 pairs per direction, one of
# them (next to the corner) has difference 3.
SI_B = 9 / 9 - 0.5 * 3**2 / 9**2
GX_B_SUM, GX_B_CNT = 9, 6
GY_B_SUM, GY_B_CNT = 9, 6


def test_registered():
    loss = MODELS.build(dict(type='EigenGradientDepthLoss'))
    assert isinstance(loss, EigenGradientDepthLoss)
    assert loss.log_space_scale == EIGEN_LOG_DEPTH_SCALE


def test_hand_computed_3x3_with_holes():
    pred, target = _image_a()
    expected = SI_A + GX_A_SUM / GX_A_CNT + GY_A_SUM / GY_A_CNT
    assert expected == pytest.approx(48 / 49 + 7 / 4 + 3 / 4)
    assert _loss()(pred, target).item() == pytest.approx(expected, rel=1e-6)
    # gradient weight 0 leaves the 2014 loss
    si = ScaleInvariantLogLoss(log_space_scale=None)(pred, target)
    assert _loss(grad_weight=0.0)(pred, target).item() == pytest.approx(
        si.item(), rel=1e-6
    )
    assert _loss(loss_weight=2.0)(pred, target).item() == pytest.approx(
        2 * expected, rel=1e-6
    )


def test_hand_computed_batch_reductions():
    pa, ta = _image_a()
    pb, tb = _image_b()
    pred, target = torch.cat([pa, pb]), torch.cat([ta, tb])
    # 'eigen': SI weighted by n_b^2, gradient pairs pooled over the batch
    si = (7 * 8 - 0.5 * 4**2 + 9 * 9 - 0.5 * 3**2) / (7**2 + 9**2)
    gx = (GX_A_SUM + GX_B_SUM) / (GX_A_CNT + GX_B_CNT)  # 16 / 10
    gy = (GY_A_SUM + GY_B_SUM) / (GY_A_CNT + GY_B_CNT)  # 12 / 10
    eigen = _loss(reduction='eigen')(pred, target)
    assert eigen.item() == pytest.approx(si + gx + gy, rel=1e-6)
    # 'mean': per-image losses averaged
    loss_a = SI_A + GX_A_SUM / GX_A_CNT + GY_A_SUM / GY_A_CNT
    loss_b = SI_B + GX_B_SUM / GX_B_CNT + GY_B_SUM / GY_B_CNT
    mean = _loss(reduction='mean')(pred, target)
    assert mean.item() == pytest.approx((loss_a + loss_b) / 2, rel=1e-6)


def test_normalised_log_space_and_metric_prediction():
    pred, target = _image_a()
    natural = _loss()(pred, target).item()
    s = EIGEN_LOG_DEPTH_SCALE
    scaled = EigenGradientDepthLoss()(pred / s, target).item()
    assert scaled == pytest.approx(natural / s**2, rel=1e-5)
    metric = _loss(pred_space='metric')(torch.exp(pred), target).item()
    assert metric == pytest.approx(natural, rel=1e-5)


def test_gradient_term_scale_invariant():
    torch.manual_seed(0)
    target = torch.rand(2, 1, 6, 7) * 9 + 0.5
    target[torch.rand_like(target) < 0.3] = 0
    # pred = 2.5 * gt: d is the constant ln 2.5 on the valid pixels
    pred = 2.5 * target.clamp(min=0.1)
    only_grad = _loss(lambda_=1.0, pred_space='metric')
    assert only_grad(pred, target).item() == pytest.approx(0.0, abs=1e-6)
    # with lambda 0.5 only the (1 - lambda) mean(d)^2 part remains
    half = _loss(pred_space='metric')(pred, target).item()
    assert half == pytest.approx(0.5 * math.log(2.5) ** 2, rel=1e-4)
    # a non-constant error makes the gradient term positive: scale one
    # valid pixel that has a valid right neighbour
    target[0, 0, 2, 2:4] = 1.0
    pred = 2.5 * target.clamp(min=0.1)
    pred[0, 0, 2, 2] *= 1.5
    no_grad = _loss(lambda_=1.0, grad_weight=0.0, pred_space='metric')
    grad_term = only_grad(pred, target) - no_grad(pred, target)
    assert grad_term.item() > 1e-3


def test_gradient_only_over_valid_pairs():
    """Values behind holes do not enter the gradient term."""
    pred, target = _image_a()
    other = pred.clone()
    other[0, 0, 0, 2] = -100.0
    other[0, 0, 2, 0] = 100.0
    torch.testing.assert_close(_loss()(pred, target), _loss()(other, target))


@pytest.mark.parametrize('pred_space', ['log', 'metric'])
@pytest.mark.parametrize('reduction', ['eigen', 'mean'])
def test_gradcheck(pred_space, reduction):
    torch.manual_seed(3)
    target = torch.rand(2, 1, 4, 5, dtype=torch.float64) * 4 + 0.5
    target[torch.rand_like(target) < 0.3] = 0
    pred = torch.rand(2, 1, 4, 5, dtype=torch.float64) + 0.5
    pred.requires_grad_(True)
    loss = EigenGradientDepthLoss(pred_space=pred_space, reduction=reduction)
    assert torch.autograd.gradcheck(lambda p: loss(p, target), (pred,))
    loss(pred, target).backward()
    assert (pred.grad[target == 0] == 0).all()


@pytest.mark.parametrize('reduction', ['eigen', 'mean'])
def test_all_invalid_raises(reduction):
    pred, target = _image_a()
    with pytest.raises(ValueError, match='no valid ground-truth depth'):
        _loss(reduction=reduction)(pred, torch.zeros_like(target))


def test_bad_arguments():
    with pytest.raises(ValueError, match='pred_space'):
        EigenGradientDepthLoss(pred_space='disparity')
    with pytest.raises(ValueError, match='reduction'):
        EigenGradientDepthLoss(reduction='sum')
    with pytest.raises(ValueError, match='log_space_scale'):
        EigenGradientDepthLoss(log_space_scale=-1.0)
    with pytest.raises(ValueError, match='same'):
        _loss()(torch.zeros(1, 1, 2, 2), torch.ones(1, 1, 2, 3))
