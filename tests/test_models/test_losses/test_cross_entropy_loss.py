"""Pixel cross-entropy with ignore_index."""

import math

import pytest
import torch
import torch.nn.functional as F

from mmdepthsr.models.losses import CrossEntropyLoss
from mmdepthsr.registry import MODELS

LN3 = math.log(3)


def _example():
    """2 classes, 2x2 labels [[0, 0], [1, 255]]. Logits (0, 0) give
    p = (1/2, 1/2); logits (ln 3, 0) give p = (3/4, 1/4)."""
    logits = torch.tensor(
        [[[0.0, LN3], [LN3, 9.0]], [[0.0, 0.0], [0.0, -9.0]]]
    ).unsqueeze(0)
    labels = torch.tensor([[[0, 0], [1, 255]]])
    return logits, labels


def test_registered():
    assert isinstance(
        MODELS.build(dict(type='CrossEntropyLoss')), CrossEntropyLoss
    )


def test_hand_computed_2x2():
    logits, labels = _example()
    # -ln(1/2) - ln(3/4) - ln(1/4) over the 3 labelled pixels
    expected = (math.log(2) + math.log(4 / 3) + math.log(4)) / 3
    loss = CrossEntropyLoss()(logits, labels)
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    assert loss.item() == pytest.approx(
        F.cross_entropy(logits, labels, ignore_index=255).item(), rel=1e-6
    )
    # (N, 1, H, W) labels and loss_weight
    loss2 = CrossEntropyLoss(loss_weight=2.0)(logits, labels[:, None])
    assert loss2.item() == pytest.approx(2 * expected, rel=1e-6)


def test_class_weights_average_over_labelled_pixels():
    logits, labels = _example()
    # class 1 weighs 2; the divisor stays the 3 labelled pixels
    expected = (math.log(2) + math.log(4 / 3) + 2 * math.log(4)) / 3
    loss = CrossEntropyLoss(class_weight=[1.0, 2.0])(logits, labels)
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_ignored_pixels_get_no_gradient():
    logits, labels = _example()
    logits.requires_grad_(True)
    CrossEntropyLoss()(logits, labels).backward()
    assert (logits.grad[0, :, 1, 1] == 0).all()
    # d/dx of -log softmax = p - onehot, / 3: pixel (0, 0) -> (-1/6, 1/6)
    torch.testing.assert_close(
        logits.grad[0, :, 0, 0], torch.tensor([-1 / 6, 1 / 6])
    )


def test_errors():
    logits, labels = _example()
    with pytest.raises(ValueError, match=r'\[0, 2\).*\[2\]'):
        CrossEntropyLoss()(logits, torch.tensor([[[0, 2], [1, 255]]]))
    with pytest.raises(ValueError, match='ignore_index'):
        CrossEntropyLoss()(logits, torch.full_like(labels, 255))
    with pytest.raises(ValueError, match='class weights'):
        CrossEntropyLoss(class_weight=[1.0, 1.0, 1.0])(logits, labels)
    with pytest.raises(ValueError, match='logits'):
        CrossEntropyLoss()(logits, labels[:, :1])
