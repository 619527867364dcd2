"""min_norm_solution: the analytic two-vector solution, collinear and
identical vectors, and three vectors against a grid over the simplex."""

import itertools

import pytest
import torch

from mmdepthsr.models.balancers import (
    min_norm_solution,
    min_norm_solution_from_gram,
)


def _analytic_gamma(v1, v2):
    gamma = (v2 - v1) @ v2 / (v1 - v2).pow(2).sum()
    return gamma.clamp(0, 1).item()


@pytest.mark.parametrize('seed', range(5))
def test_two_vectors_match_the_closed_form(seed):
    gen = torch.Generator().manual_seed(seed)
    v1, v2 = torch.randn(2, 6, generator=gen, dtype=torch.float64)
    alpha = min_norm_solution(torch.stack([v1, v2]))
    gamma = _analytic_gamma(v1, v2)
    assert alpha.tolist() == pytest.approx([gamma, 1 - gamma], abs=1e-12)


@pytest.mark.parametrize(
    'v2, expected',
    [
        ([0.0, 2.0], [0.8, 0.2]),  # orthogonal, |v2| = 2 |v1|
        ([3.0, 0.0], [1.0, 0.0]),  # same direction: all on the shorter
        ([-2.0, 0.0], [2 / 3, 1 / 3]),  # opposite: the zero vector
        ([1.0, 0.0], [0.5, 0.5]),  # identical: any split, the even one
    ],
)
def test_two_vector_special_cases(v2, expected):
    grads = torch.tensor([[1.0, 0.0], v2])
    alpha = min_norm_solution(grads)
    assert alpha.dtype == torch.float32
    assert alpha.tolist() == pytest.approx(expected, abs=1e-6)


def _grid_minimum(grads, steps=300):
    gram = grads @ grads.T
    best = (float('inf'), None)
    for i, j in itertools.product(range(steps + 1), repeat=2):
        if i + j > steps:
            continue
        alpha = torch.tensor([i, j, steps - i - j], dtype=gram.dtype) / steps
        best = min(best, ((alpha @ gram @ alpha).item(), alpha.tolist()))
    return best


@pytest.mark.parametrize(
    'grads',
    [
        torch.randn(3, 5, generator=torch.Generator().manual_seed(3)),
        # the optimum lies on an edge: the third gradient is the longest
        torch.tensor([[1.0, 0.2, 0.0], [0.1, 1.0, 0.0], [2.0, 3.0, 1.0]]),
        # zero is in the hull, at (1/3, 1/3, 1/3)
        torch.tensor([[1.0, 0.0], [-0.5, 0.75**0.5], [-0.5, -(0.75**0.5)]]),
    ],
)
def test_three_vectors_match_a_simplex_grid(grads):
    grads = grads.double()
    alpha = min_norm_solution(grads)
    assert alpha.min() >= 0 and alpha.sum().item() == pytest.approx(1.0)
    cost = (alpha @ grads).pow(2).sum().item()
    grid_cost, grid_alpha = _grid_minimum(grads)
    assert cost <= grid_cost + 1e-9
    assert alpha.tolist() == pytest.approx(grid_alpha, abs=1e-2)


def test_identical_and_zero_gradients():
    same = torch.ones(4, 3)
    alpha = min_norm_solution(same)
    assert alpha.sum().item() == pytest.approx(1.0)
    assert (alpha @ same).norm().item() == pytest.approx(3**0.5)
    assert min_norm_solution(torch.zeros(3, 2)).tolist() == pytest.approx(
        [1 / 3] * 3
    )
    assert min_norm_solution(torch.randn(1, 4)).tolist() == [1.0]


def test_gram_form_is_scale_invariant():
    grads = torch.randn(4, 7, generator=torch.Generator().manual_seed(1))
    gram = (grads @ grads.T).double()
    alpha = min_norm_solution_from_gram(gram)
    scaled = min_norm_solution_from_gram(1e-6 * gram)
    assert torch.allclose(alpha, scaled, atol=1e-12)


def test_shape_errors():
    with pytest.raises(ValueError, match=r'\(T, D\).*\(3,\)'):
        min_norm_solution(torch.ones(3))
    with pytest.raises(ValueError, match=r'\(T, T\).*\(2, 3\)'):
        min_norm_solution_from_gram(torch.ones(2, 3))
