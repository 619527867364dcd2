"""Minimum-norm point in the convex hull of task gradients.

Paper: O. Sener, V. Koltun, "Multi-Task Learning as Multi-Objective
Optimization", NeurIPS 2018, section 3.2 (Frank-Wolfe solver, Algorithm 2).

Given task gradients ``g_1 .. g_T``, find ``alpha`` on the simplex that
minimises ``|| sum_t alpha_t g_t ||^2 = alpha^T M alpha`` with the Gram
matrix ``M = G G^T``. Two vectors have a closed form (the line solver); more
are solved by Frank-Wolfe iterations whose line search is the same closed
form, started from the best pair. Only ``M`` enters, so the solver works on
the Gram matrix and in float64.
"""

from typing import Tuple

import torch
from torch import Tensor

__all__ = ['min_norm_solution', 'min_norm_solution_from_gram']


def _line_solver(v1v1: Tensor, v1v2: Tensor, v2v2: Tensor) -> Tensor:
    """``gamma`` in [0, 1] minimising ``||gamma v1 + (1 - gamma) v2||^2``.

    ``gamma = (v2 - v1) . v2 / ||v1 - v2||^2`` clipped to [0, 1]; 0.5 when
    the vectors are identical (every ``gamma`` is optimal).

    Args:
        v1v1 (Tensor): ``v1 . v1``, scalar.
        v1v2 (Tensor): ``v1 . v2``, scalar.
        v2v2 (Tensor): ``v2 . v2``, scalar.

    Returns:
        Tensor: ``gamma``, scalar.
    """
    denominator = v1v1 + v2v2 - 2 * v1v2
    if denominator <= 1e-12 * max(float(v1v1), float(v2v2), 1e-300):
        return torch.full_like(v1v1, 0.5)
    return ((v2v2 - v1v2) / denominator).clamp(0.0, 1.0)


def _best_pair(gram: Tensor) -> Tuple[Tensor, Tensor]:
    """Min-norm point over all edges of the simplex.

    Args:
        gram (Tensor): ``(T, T)`` Gram matrix, ``T >= 2``.

    Returns:
        tuple[Tensor, Tensor]: The coefficients ``(T,)`` and the squared
        norm of the point.
    """
    best_alpha, best_cost = None, None
    num_tasks = gram.shape[0]
    for i in range(num_tasks):
        for j in range(i + 1, num_tasks):
            gamma = _line_solver(gram[i, i], gram[i, j], gram[j, j])
            alpha = torch.zeros_like(gram[0])
            alpha[i], alpha[j] = gamma, 1 - gamma
            cost = alpha @ gram @ alpha
            if best_cost is None or cost < best_cost:
                best_alpha, best_cost = alpha, cost
    return best_alpha, best_cost


def min_norm_solution_from_gram(
    gram: Tensor, max_iter: int = 250, tol: float = 1e-5
) -> Tensor:
    """Min-norm coefficients from the Gram matrix of the gradients.

    Args:
        gram (Tensor): ``(T, T)`` symmetric positive semi-definite matrix,
            ``gram[i, j] = g_i . g_j``.
        max_iter (int): Maximum number of Frank-Wolfe iterations (``T > 2``).
            Defaults to 250.
        tol (float): Stop when the Frank-Wolfe duality gap, relative to the
            largest squared gradient norm, falls below ``tol``. Defaults to
            1e-5.

    Returns:
        Tensor: ``(T,)`` coefficients ``alpha >= 0`` summing to 1, in the
        dtype of ``gram``.

    Raises:
        ValueError: If ``gram`` is not a square 2-D tensor.
    """
    if gram.dim() != 2 or gram.shape[0] != gram.shape[1]:
        raise ValueError(
            'min_norm_solution_from_gram: gram must be a (T, T) matrix, got '
            f'{tuple(gram.shape)}'
        )
    num_tasks = gram.shape[0]
    matrix = gram.detach().double()
    scale = matrix.diagonal().max()
    if num_tasks == 1 or scale <= 0:
        return torch.full(
            (num_tasks,), 1.0 / num_tasks, dtype=gram.dtype, device=gram.device
        )
    # The solution is invariant to the scale of the gradients; unit scale
    # makes ``tol`` absolute.
    matrix = matrix / scale
    alpha, _ = _best_pair(matrix)
    if num_tasks > 2:
        for _ in range(max_iter):
            direction = matrix @ alpha
            vertex = int(torch.argmin(direction))
            point_sq = alpha @ direction
            if point_sq - direction[vertex] <= tol:
                break
            gamma = _line_solver(
                point_sq, direction[vertex], matrix[vertex, vertex]
            )
            alpha = gamma * alpha
            alpha[vertex] += 1 - gamma
    return alpha.to(gram.dtype)


def min_norm_solution(
    grads: Tensor, max_iter: int = 250, tol: float = 1e-5
) -> Tensor:
    """Coefficients of the min-norm point in the convex hull of gradients.

    Args:
        grads (Tensor): ``(T, D)`` one flattened gradient per row.
        max_iter (int): Maximum number of Frank-Wolfe iterations (``T > 2``).
            Defaults to 250.
        tol (float): Relative Frank-Wolfe duality gap at which to stop.
            Defaults to 1e-5.

    Returns:
        Tensor: ``(T,)`` coefficients ``alpha >= 0`` summing to 1 that
        minimise ``|| sum_t alpha_t grads[t] ||``, in the dtype of
        ``grads``.

    Raises:
        ValueError: If ``grads`` is not 2-D.
    """
    if grads.dim() != 2:
        raise ValueError(
            'min_norm_solution: grads must be a (T, D) matrix, got '
            f'{tuple(grads.shape)}'
        )
    flat = grads.detach().double()
    alpha = min_norm_solution_from_gram(flat @ flat.T, max_iter, tol)
    return alpha.to(grads.dtype)
