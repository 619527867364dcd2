"""Normal loss of Eigen & Fergus 2015 (negative mean cosine)."""

import math

import pytest
import torch

from mmdepthsr.models.losses import NormalCosineLoss
from mmdepthsr.registry import MODELS

ANGLES = (0.0, math.pi / 3, math.pi / 2, math.pi)  # cos 1, 0.5, 0, -1


def _normals():
    """1x3x2x3: five valid pixels, GT along +z; the prediction in the
    x-z plane at a known angle, with length 2 (not unit). The last pixel
    has a zero GT vector (invalid)."""
    target = torch.zeros(1, 3, 2, 3)
    target[0, 2] = 1.0
    target[0, :, 1, 2] = 0.0
    pred = torch.zeros(1, 3, 2, 3)
    angles = list(ANGLES) + [math.pi / 4]
    for k, a in enumerate(angles):
        r, c = divmod(k, 3)
        pred[0, 0, r, c] = 2 * math.sin(a)
        pred[0, 2, r, c] = 2 * math.cos(a)
    pred[0, :, 1, 2] = torch.tensor([0.3, -0.2, 5.0])
    return pred, target, angles


def test_registered_default_weight():
    loss = MODELS.build(dict(type='NormalCosineLoss'))
    assert isinstance(loss, NormalCosineLoss)
    assert loss.loss_weight == 1.0


def test_known_angles():
    pred, target, angles = _normals()
    # cos: 1 + 0.5 + 0 - 1 + sqrt(2)/2 over 5 valid pixels
    expected = -(1 + 0.5 + 0 - 1 + math.sqrt(2) / 2) / 5
    assert NormalCosineLoss()(pred, target).item() == pytest.approx(
        expected, abs=1e-6
    )
    assert NormalCosineLoss(loss_weight=10)(pred, target).item() == (
        pytest.approx(10 * expected, abs=1e-5)
    )


@pytest.mark.parametrize('angle', ANGLES)
def test_single_angle_is_minus_cos(angle):
    target = torch.tensor([0.0, 0.0, 1.0]).view(1, 3, 1, 1).repeat(2, 1, 2, 2)
    pred = torch.tensor([math.sin(angle), 0.0, math.cos(angle)])
    pred = (0.5 * pred).view(1, 3, 1, 1).repeat(2, 1, 2, 2)
    assert NormalCosineLoss()(pred, target).item() == pytest.approx(
        -math.cos(angle), abs=1e-6
    )


def test_invalid_pixels_excluded_and_gradient():
    pred, target, _ = _normals()
    other = pred.clone()
    other[0, :, 1, 2] = torch.tensor([-9.0, 4.0, 0.1])
    torch.testing.assert_close(
        NormalCosineLoss()(pred, target), NormalCosineLoss()(other, target)
    )
    pred.requires_grad_(True)
    NormalCosineLoss()(pred, target).backward()
    assert (pred.grad[0, :, 1, 2] == 0).all()
    # at 90 degrees d(-cos)/d pred = -(gt - cos * p_hat) / |p| / n,
    # |p| = 2, n = 5: only the z component, -1 / 10
    torch.testing.assert_close(
        pred.grad[0, :, 0, 2], torch.tensor([0.0, 0.0, -0.1])
    )


def test_gradcheck():
    torch.manual_seed(0)
    pred = torch.randn(2, 3, 3, 3, dtype=torch.float64, requires_grad=True)
    target = torch.nn.functional.normalize(
        torch.randn(2, 3, 3, 3, dtype=torch.float64), dim=1
    )
    target[0, :, 1, 1] = 0
    loss = NormalCosineLoss()
    assert torch.autograd.gradcheck(lambda p: loss(p, target), (pred,))


def test_errors():
    with pytest.raises(ValueError, match='no valid ground-truth normal'):
        NormalCosineLoss()(torch.ones(1, 3, 2, 2), torch.zeros(1, 3, 2, 2))
    with pytest.raises(ValueError, match='shape'):
        NormalCosineLoss()(torch.ones(1, 1, 2, 2), torch.ones(1, 1, 2, 2))
