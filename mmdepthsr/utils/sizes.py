"""Image and patch sizes given as one int or an ``(h, w)`` pair."""

from typing import Sequence, Tuple, Union

import numpy as np

__all__ = ['IntPair', 'to_pair']

#: One size for both axes, or ``(h, w)``.
IntPair = Union[int, Sequence[int]]


def to_pair(value: IntPair, name: str) -> Tuple[int, int]:
    """An ``(h, w)`` pair of positive integers from an int or a pair.

    Args:
        value (int | Sequence[int]): One size for both axes, or ``(h, w)``.
            Integral floats (``4.0``) are accepted.
        name (str): What the value is, for the error (e.g.
            ``'RandomCrop: crop_size'``).

    Returns:
        tuple[int, int]: ``(h, w)``.

    Raises:
        ValueError: If ``value`` is not one or two positive integers.
    """
    if isinstance(value, (int, float, np.integer, np.floating)):
        value = (value, value)
    value = tuple(value)
    if len(value) != 2 or any(int(v) != v or v < 1 for v in value):
        raise ValueError(f'{name} must be a positive (h, w), got {value}.')
    return int(value[0]), int(value[1])
