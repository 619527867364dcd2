"""GradNorm: one step against the hand formulas, gradient-norm equalisation
on a toy two-task problem, evaluation mode and resume."""

import math

import pytest
import torch
from torch import nn

from mmdepthsr.models.balancers import GradNorm


def test_first_step_matches_hand_formulas():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    depth = 2 * w.sum()  # grad (2, 2), norm 2 sqrt(2)
    seg = (w**2).sum()  # grad (2, 4), norm sqrt(20)
    balancer = GradNorm(('depth', 'seg'))
    total, log_vars = balancer({'depth': depth, 'seg': seg}, shared=[w])

    g_depth, g_seg = 2 * math.sqrt(2), math.sqrt(20)
    # weights 1, loss ratios 1: the targets are the mean norm
    assert total.item() == pytest.approx(6.0 + 5.0)
    assert log_vars['balancer_grad_norm_depth'].item() == pytest.approx(
        g_depth
    )
    assert log_vars['balancer_grad_norm_seg'].item() == pytest.approx(g_seg)
    assert log_vars['balancer_gradnorm_loss'].item() == pytest.approx(
        g_seg - g_depth, rel=1e-6
    )
    assert balancer.initial_losses.tolist() == [6.0, 5.0]

    total.backward()
    # The network sees only the weighted losses ...
    assert w.grad.tolist() == pytest.approx([2 + 2, 2 + 4])
    # ... the logits only the GradNorm loss: dL/dw = (-g_depth, g_seg),
    # dw/dlogits = [[.5, -.5], [-.5, .5]] at w = (1, 1).
    half_sum = (g_depth + g_seg) / 2
    assert balancer.weight_logits.grad.tolist() == pytest.approx(
        [-half_sum, half_sum], rel=1e-6
    )


def test_later_step_uses_initial_losses_and_alpha():
    balancer = GradNorm(('depth', 'seg'), alpha=2.0)
    with torch.no_grad():
        balancer.weight_logits.copy_(torch.tensor([math.log(3.0), 0.0]))
    balancer.initial_losses.copy_(torch.tensor([4.0, 1.0]))
    balancer.initialized.fill_(True)
    w = torch.tensor([1.0, 1.0], requires_grad=True)
    depth = 3 * w.sum()  # L = 6, grad norm 3 sqrt(2)
    seg = 0.5 * (w**2).sum()  # L = 1, grad norm sqrt(2)
    total, log_vars = balancer({'depth': depth, 'seg': seg}, shared=[w])

    weights = [1.5, 0.5]  # 2 * softmax(log 3, 0)
    norms = [weights[0] * 3 * math.sqrt(2), weights[1] * math.sqrt(2)]
    ratios = [6 / 4, 1 / 1]
    rel = [r / (sum(ratios) / 2) for r in ratios]
    targets = [sum(norms) / 2 * r**2 for r in rel]
    expected = sum(abs(n - t) for n, t in zip(norms, targets))
    assert total.item() == pytest.approx(1.5 * 6 + 0.5 * 1)
    assert log_vars['weight_depth'].item() == pytest.approx(1.5)
    assert log_vars['balancer_gradnorm_loss'].item() == pytest.approx(
        expected, rel=1e-6
    )


def test_evaluation_mode_only_weighs():
    balancer = GradNorm(('depth', 'seg')).eval()
    w = torch.ones(2, requires_grad=True)
    total, log_vars = balancer(
        {'depth': w.sum(), 'seg': 2 * w.sum()}, shared=[w]
    )
    assert total.item() == 6.0
    assert set(log_vars) == {'weight_depth', 'weight_seg'}
    assert not balancer.initialized


class _ToyTwoTask(nn.Module):
    """Shared linear layer, two linear heads; the depth targets are 100x
    larger, so its gradient norm at the shared layer is far larger."""

    def __init__(self, alpha):
        super().__init__()
        self.shared = nn.Linear(4, 8)
        self.depth_head = nn.Linear(8, 1)
        self.seg_head = nn.Linear(8, 1)
        self.balancer = GradNorm(('depth', 'seg'), alpha=alpha)

    def forward(self, x, y_depth, y_seg):
        z = torch.relu(self.shared(x))
        losses = {
            'depth': (self.depth_head(z) - y_depth).pow(2).mean(),
            'seg': (self.seg_head(z) - y_seg).pow(2).mean(),
        }
        return self.balancer(losses, shared=list(self.shared.parameters()))


def _toy_batch(step):
    gen = torch.Generator().manual_seed(1000 + step)
    x = torch.randn(16, 4, generator=gen)
    y = x[:, :1] - 0.5 * x[:, 1:2]
    return x, 100 * y, y


def _optimizer(model):
    return torch.optim.Adam(
        [
            {'params': model.shared.parameters(), 'lr': 1e-3},
            {'params': model.depth_head.parameters(), 'lr': 1e-3},
            {'params': model.seg_head.parameters(), 'lr': 1e-3},
            {'params': model.balancer.parameters(), 'lr': 0.05},
        ]
    )


def _train(model, optimizer, steps, start=0):
    outputs = []
    for step in range(start, start + steps):
        optimizer.zero_grad()
        total, log_vars = model(*_toy_batch(step))
        total.backward()
        optimizer.step()
        outputs.append((total.detach(), log_vars))
    return outputs


def _norm_ratio(log_vars):
    depth = log_vars['balancer_grad_norm_depth'].item()
    seg = log_vars['balancer_grad_norm_seg'].item()
    return max(depth, seg) / min(depth, seg)


def test_gradient_norms_get_balanced():
    torch.manual_seed(0)
    model = _ToyTwoTask(alpha=0.0)
    outputs = _train(model, _optimizer(model), 150)
    before, after = _norm_ratio(outputs[0][1]), _norm_ratio(outputs[-1][1])
    assert before > 30
    assert after < 1.2
    # the weights moved to the weaker task and still sum to T = 2
    weights = model.balancer.weights.detach()
    assert weights[1] > 10 * weights[0]
    assert weights.sum().item() == pytest.approx(2.0)


def test_resume_is_bit_identical():
    torch.manual_seed(0)
    reference = _ToyTwoTask(alpha=1.5)
    start_state = {k: v.clone() for k, v in reference.state_dict().items()}
    expected = _train(reference, _optimizer(reference), 8)

    first = _ToyTwoTask(alpha=1.5)
    first.load_state_dict(start_state)
    first_opt = _optimizer(first)
    _train(first, first_opt, 4)
    resumed = _ToyTwoTask(alpha=1.5)
    resumed.load_state_dict(first.state_dict())
    resumed_opt = _optimizer(resumed)
    resumed_opt.load_state_dict(first_opt.state_dict())
    got = _train(resumed, resumed_opt, 4, start=4)

    assert torch.equal(
        resumed.balancer.initial_losses, reference.balancer.initial_losses
    )
    for (total, log_vars), (ref_total, ref_vars) in zip(got, expected[4:]):
        assert torch.equal(total, ref_total)
        for key in ref_vars:
            assert torch.equal(log_vars[key], ref_vars[key]), key
