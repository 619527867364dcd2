"""MGDA: weights for every gradient normalisation on hand-made gradients,
the common descent direction on a tiny model, and evaluation mode."""

import pytest
import torch
from torch import nn

from mmdepthsr.models.balancers import MGDA, min_norm_solution


@pytest.mark.parametrize(
    'normalization, expected',
    [
        # grads a = (3, 0), b = (0, 1); losses 6 and 1 at z = (2, 1)
        ('none', [0.1, 0.9]),  # gamma = (1 - 0) / (9 + 1)
        ('l2', [0.5 / 3, 0.5]),  # unit grads: alpha = (.5, .5), w = alpha/n
        ('loss', [0.8 / 6, 0.2]),  # a/6 = (.5, 0): gamma = 1 / 1.25
        ('loss+', [36 / 37 / 18, 1 / 37]),  # a/18: gamma = 1 / (1/36 + 1)
    ],
)
def test_weights_for_each_normalization(normalization, expected):
    z = torch.tensor([2.0, 1.0], requires_grad=True)
    depth, seg = 3 * z[0], z[1]
    balancer = MGDA(
        ('depth', 'seg'), normalization=normalization, weighting='normalized'
    )
    total, log_vars = balancer({'depth': depth, 'seg': seg}, shared=[z])
    weights = [log_vars['weight_depth'].item(), log_vars['weight_seg'].item()]
    assert weights == pytest.approx(expected, rel=1e-6)
    assert total.item() == pytest.approx(6 * expected[0] + expected[1])
    total.backward()
    # the gradient reaching z is the min-norm point of the normalised grads
    assert z.grad.tolist() == pytest.approx(
        [3 * expected[0], expected[1]], rel=1e-6
    )
    norm = ((3 * expected[0]) ** 2 + expected[1] ** 2) ** 0.5
    assert log_vars['balancer_min_norm'].item() == pytest.approx(
        norm, rel=1e-6
    )


class _TinyModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(2, 4, 3, padding=1)
        self.depth_head = nn.Conv2d(4, 1, 1)
        self.seg_head = nn.Conv2d(4, 3, 1)
        self.sr_head = nn.Conv2d(4, 1, 1)

    def forward(self, x):
        z = torch.tanh(self.stem(x))
        z_low = nn.functional.avg_pool2d(z, 2)
        losses = {
            'depth': self.depth_head(z).pow(2).mean(),
            'seg': nn.functional.cross_entropy(
                self.seg_head(z), torch.zeros(2, 6, 6, dtype=torch.long)
            ),
            # reads only the second representation tensor
            'sr': (self.sr_head(z_low) - 1).abs().mean(),
        }
        return z, z_low, losses


def test_tiny_model_weights_and_common_descent_direction():
    torch.manual_seed(0)
    model = _TinyModel()
    z, z_low, losses = model(torch.randn(2, 2, 6, 6))
    balancer = MGDA(
        ('depth', 'seg', 'sr'), normalization='l2', weighting='normalized'
    )
    total, log_vars = balancer(losses, shared=[z, z_low])

    grads = []
    for task in ('depth', 'seg', 'sr'):
        g = torch.autograd.grad(
            losses[task], [z, z_low], retain_graph=True, allow_unused=True
        )
        grads.append(
            torch.cat(
                [
                    torch.zeros(t.numel()) if gi is None else gi.flatten()
                    for t, gi in zip((z, z_low), g)
                ]
            )
        )
    grads = torch.stack(grads).double()
    norms = grads.norm(dim=1)
    alpha = min_norm_solution(grads / norms[:, None])
    weights = torch.tensor(
        [log_vars[f'weight_{t}'].item() for t in ('depth', 'seg', 'sr')],
        dtype=torch.float64,
    )
    assert torch.allclose(weights, alpha / norms, rtol=1e-5)
    assert (alpha > 0.01).sum() >= 2  # a real mix of tasks

    # The combined gradient does not increase any task loss.
    combined = weights @ grads
    assert (grads @ combined >= -1e-9).all()
    total.backward()
    assert model.stem.weight.grad is not None


def test_evaluation_mode_weighs_evenly():
    balancer = MGDA(('depth', 'seg')).eval()
    z = torch.ones(2, requires_grad=True)
    total, log_vars = balancer({'depth': 2 * z[0], 'seg': z[1]}, shared=[z])
    assert total.item() == pytest.approx(1.5)
    assert set(log_vars) == {'weight_depth', 'weight_seg'}


def test_unknown_normalization():
    with pytest.raises(ValueError, match="'l1'"):
        MGDA(('depth',), normalization='l1')


@pytest.mark.parametrize(
    'normalization, alpha',
    [
        ('none', [0.1, 0.9]),
        ('l2', [0.5, 0.5]),  # unit normalised grads (3, 0), (0, 1) -> (1, 1)
        ('loss+', [36 / 37, 1 / 37]),  # grads / (L |g|): (1/6, 0), (0, 1)
    ],
)
def test_default_weights_are_alpha_summing_to_one(normalization, alpha):
    """The authors' convention: the min-norm coefficients weigh the
    unnormalised losses, so the weights sum to 1 whatever the normaliser."""
    z = torch.tensor([2.0, 1.0], requires_grad=True)
    balancer = MGDA(('depth', 'seg'), normalization=normalization)
    assert balancer.weighting == 'alpha'
    total, log_vars = balancer({'depth': 3 * z[0], 'seg': z[1]}, shared=[z])
    weights = [log_vars['weight_depth'].item(), log_vars['weight_seg'].item()]
    assert weights == pytest.approx(alpha, rel=1e-6)
    assert sum(weights) == pytest.approx(1.0)
    assert total.item() == pytest.approx(6 * alpha[0] + alpha[1])
    with pytest.raises(ValueError, match='weighting'):
        MGDA(('depth', 'seg'), weighting='scaled')
