"""Checks of constructor arguments shared by several modules."""

from typing import Sequence, Tuple

__all__ = ['check_positive_ints']


def check_positive_ints(
    owner: str, arg: str, values: Sequence[int], length: int
) -> Tuple[int, ...]:
    """Check that ``values`` are ``length`` positive Python integers.

    Args:
        owner (str): Class or function named in the error.
        arg (str): Argument named in the error.
        values (Sequence[int]): The values.
        length (int): How many there must be.

    Returns:
        tuple[int]: ``values`` as a tuple.

    Raises:
        ValueError: If the length differs or a value is not a positive int
            (``bool`` is rejected).
    """
    values = tuple(values)
    if len(values) != length or any(
        not isinstance(v, int) or isinstance(v, bool) or v < 1 for v in values
    ):
        raise ValueError(
            f'{owner}: `{arg}` must be {length} positive integers, got '
            f'{values}.'
        )
    return values
