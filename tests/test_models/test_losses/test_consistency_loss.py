"""DepthConsistencyLoss: hand-computed values, masks, detaching."""

import pytest
import torch

from mmdepthsr.models.losses import DepthConsistencyLoss


def test_values_and_mask():
    a = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    b = torch.tensor([[[[2.0, 2.0], [1.0, float('nan')]]]])
    # NaN pixel left out: |1-2|, 0, |3-1| over 3 pixels
    assert float(DepthConsistencyLoss()(a, b)) == pytest.approx(1.0)
    assert float(DepthConsistencyLoss(mode='l2')(a, b)) == pytest.approx(5 / 3)
    valid = torch.tensor([[[[True, False], [True, True]]]])
    assert float(
        DepthConsistencyLoss(loss_weight=2.0)(a, b, valid)
    ) == pytest.approx(2 * 3 / 2)
    empty = torch.zeros_like(valid)
    assert float(DepthConsistencyLoss()(a, b, empty)) == 0.0


@pytest.mark.parametrize(
    'detach, grads', [(None, (True, True)), ('first', (False, True))]
)
def test_detach(detach, grads):
    a = torch.rand(1, 1, 3, 3, requires_grad=True)
    b = torch.rand(1, 1, 3, 3, requires_grad=True)
    DepthConsistencyLoss(detach=detach)(a, b).backward()
    assert (a.grad is not None) == grads[0]
    assert (b.grad is not None) == grads[1]
    # d/db mean|a - b| = -sign(a - b) / n
    torch.testing.assert_close(b.grad, -torch.sign(a - b).detach() / 9)


def test_errors():
    with pytest.raises(ValueError, match='mode'):
        DepthConsistencyLoss(mode='huber')
    with pytest.raises(ValueError, match='detach'):
        DepthConsistencyLoss(detach='both')
    with pytest.raises(ValueError, match='same shape'):
        DepthConsistencyLoss()(
            torch.zeros(1, 1, 2, 2), torch.zeros(1, 1, 3, 2)
        )
