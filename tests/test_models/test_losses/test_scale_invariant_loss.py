"""Scale-invariant log loss of Eigen 2014 (lambda 0.5, batch reductions)."""

import math

import pytest
import torch

from mmdepthsr.models.losses import (
    EIGEN_LOG_DEPTH_SCALE,
    ScaleInvariantLogLoss,
)

E = math.e


def _batch():
    """Image A: 3 valid pixels, d = (0.5, 0.5, 0); image B: 4 valid,
    d = (1, 1, 1, -1) (natural log space)."""
    target = torch.tensor(
        [[[[1.0, E], [0.0, E**2]]], [[[1.0, 1.0], [1.0, 1.0]]]]
    )
    pred = torch.tensor(
        [[[[0.5, 1.5], [9.0, 2.0]]], [[[1.0, 1.0], [1.0, -1.0]]]]
    )
    return pred, target


def _loss(**kwargs):
    return ScaleInvariantLogLoss(log_space_scale=None, **kwargs)


def test_hand_computed_single_image():
    pred, target = _batch()
    # 1/n sum d^2 - 0.5/n^2 (sum d)^2 = 0.5/3 - 0.5 * 1/9 = 1/9
    loss = _loss()(pred[:1], target[:1])
    assert loss.item() == pytest.approx(1 / 9, rel=1e-6)
    # image B: 4/4 - 0.5 * 4/16 = 0.875
    assert _loss()(pred[1:], target[1:]).item() == pytest.approx(0.875)


def test_hand_computed_batch_reductions():
    pred, target = _batch()
    # eigen: (3 * 0.5 - 0.5 * 1 + 4 * 4 - 0.5 * 4) / (3^2 + 4^2) = 15/25
    eigen = _loss(reduction='eigen')(pred, target)
    assert eigen.item() == pytest.approx(0.6, rel=1e-6)
    # mean of the per-image losses: (1/9 + 0.875) / 2
    mean = _loss(reduction='mean')(pred, target)
    assert mean.item() == pytest.approx((1 / 9 + 0.875) / 2, rel=1e-6)


def test_lambda_and_loss_weight():
    pred, target = _batch()
    # lambda 0: plain mean squared log error of image A, 0.5 / 3
    assert _loss(lambda_=0.0)(pred[:1], target[:1]).item() == pytest.approx(
        0.5 / 3
    )
    assert _loss(loss_weight=2.0)(pred[:1], target[:1]).item() == (
        pytest.approx(2 / 9)
    )


def test_normalised_log_space():
    """pred in ln(depth)/s: the loss is the natural-log loss / s^2."""
    pred, target = _batch()
    s = EIGEN_LOG_DEPTH_SCALE
    natural = _loss()(pred, target)
    scaled = ScaleInvariantLogLoss()(pred / s, target)  # default scale
    assert scaled.item() == pytest.approx(natural.item() / s**2, rel=1e-5)


def test_scale_invariance():
    """A global scale of the depth (offset c in log space): lambda 1 gives
    0, lambda 0.5 gives c^2 / 2."""
    torch.manual_seed(0)
    target = torch.rand(2, 1, 5, 6) * 9 + 0.5
    pred = torch.log(target) + 0.3
    assert _loss(lambda_=1.0)(pred, target).item() == pytest.approx(
        0.0, abs=1e-6
    )
    assert _loss()(pred, target).item() == pytest.approx(0.045, rel=1e-4)


def _per_image_forms(d, mask, lam):
    """The sum form and the variance form of the per-image loss."""
    d = d[mask]
    n = d.numel()
    sum_form = (d**2).sum() / n - lam / n**2 * d.sum() ** 2
    var_form = ((d - d.mean()) ** 2).mean() + (1 - lam) * d.mean() ** 2
    return sum_form, var_form


@pytest.mark.parametrize('lam', [0.0, 0.5, 1.0])
def test_sum_and_variance_forms_agree(lam):
    torch.manual_seed(1)
    target = torch.rand(3, 1, 7, 9) * 5
    target[torch.rand_like(target) < 0.3] = 0
    pred = torch.randn(3, 1, 7, 9)
    d = pred - torch.log(target.clamp(min=1e-9))
    for b in range(3):
        sum_form, var_form = _per_image_forms(d[b], target[b] > 0, lam)
        torch.testing.assert_close(sum_form, var_form, rtol=1e-5, atol=1e-6)
        loss = _loss(lambda_=lam)(pred[b : b + 1], target[b : b + 1])
        torch.testing.assert_close(loss, sum_form, rtol=1e-5, atol=1e-6)


def test_eigen_equals_mean_for_equal_valid_counts():
    torch.manual_seed(2)
    target = torch.rand(4, 1, 6, 8) + 0.5
    for b in range(4):  # 20 invalid pixels in every image
        idx = torch.randperm(48)[:20]
        target[b].view(-1)[idx] = 0
    pred = torch.randn(4, 1, 6, 8)
    eigen = _loss(reduction='eigen')(pred, target)
    mean = _loss(reduction='mean')(pred, target)
    torch.testing.assert_close(eigen, mean)
    # ... and they differ when the counts differ
    target[0].view(-1)[:30] = 0
    assert not torch.allclose(
        _loss(reduction='eigen')(pred, target),
        _loss(reduction='mean')(pred, target),
    )


@pytest.mark.parametrize('reduction', ['eigen', 'mean'])
def test_image_without_valid_pixels_contributes_nothing(reduction):
    pred, target = _batch()
    target[1] = 0
    loss = _loss(reduction=reduction)(pred, target)
    assert loss.item() == pytest.approx(1 / 9, rel=1e-6)


@pytest.mark.parametrize('reduction', ['eigen', 'mean'])
def test_batch_without_valid_pixels_raises(reduction):
    pred, target = _batch()
    with pytest.raises(ValueError, match='no valid ground-truth depth'):
        _loss(reduction=reduction)(pred, torch.zeros_like(target))


def test_gradient_masked():
    pred, target = _batch()
    pred.requires_grad_(True)
    _loss()(pred, target).backward()
    assert pred.grad[0, 0, 1, 0] == 0  # invalid pixel
    # d/dpred_i of 1/n sum d^2 - 0.5/n^2 (sum d)^2 for image A (scaled by
    # n^2 / (n_A^2 + n_B^2) in the 'eigen' reduction): 2 d_i/n - sum d / n^2
    grad_a = (2 * torch.tensor([0.5, 0.5, 0.0]) / 3 - 1.0 / 9) * 9 / 25
    torch.testing.assert_close(pred.grad[0, 0].flatten()[[0, 1, 3]], grad_a)


def test_bad_arguments():
    with pytest.raises(ValueError, match='reduction'):
        ScaleInvariantLogLoss(reduction='sum')
    with pytest.raises(ValueError, match='log_space_scale'):
        ScaleInvariantLogLoss(log_space_scale=0.0)
    with pytest.raises(ValueError, match='same shape'):
        _loss()(torch.zeros(1, 1, 2, 2), torch.ones(1, 1, 2, 3))
