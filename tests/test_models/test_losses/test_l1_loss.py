"""L1Loss over valid ground-truth pixels, by hand values."""

import pytest
import torch

from mmdepthsr.models.losses import L1Loss
from mmdepthsr.registry import MODELS


def test_l1_loss_hand_value_mask_and_gradient():
    loss_fn = MODELS.build(dict(type='L1Loss', loss_weight=0.5))
    assert isinstance(loss_fn, L1Loss)
    pred = torch.tensor(
        [[[[1.0, 2.0], [3.0, 9.0]]], [[[0.0, 5.0], [1.0, 1.0]]]],
        requires_grad=True,
    )
    # Invalid: 0 and NaN; valid diffs |1-2|, |2-2|, |3-1|, |5-4|, |1-3|.
    target = torch.tensor(
        [[[[2.0, 2.0], [1.0, 0.0]]], [[[float('nan'), 4.0], [0.0, 3.0]]]]
    )
    loss = loss_fn(pred, target)
    assert loss.item() == pytest.approx(0.5 * (1 + 0 + 2 + 1 + 2) / 5)
    loss.backward()
    grad = pred.grad.flatten().tolist()
    assert grad == pytest.approx([-0.1, 0.0, 0.1, 0.0, 0.0, 0.1, 0.0, -0.1])


def test_l1_loss_errors():
    loss_fn = L1Loss()
    with pytest.raises(ValueError, match='same shape'):
        loss_fn(torch.zeros(1, 1, 2, 2), torch.zeros(1, 1, 2, 3))
    with pytest.raises(ValueError, match='no valid ground-truth pixel'):
        loss_fn(torch.zeros(2, 1, 2, 2), torch.zeros(2, 1, 2, 2))
