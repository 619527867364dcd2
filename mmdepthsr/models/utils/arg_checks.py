"""Checks of constructor arguments shared by several modules."""

from typing import Sequence, Tuple

__all__ = ['check_map_channels', 'check_positive_ints']


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


def check_map_channels(
    owner: str,
    maps: Sequence,
    in_channels: Sequence[int],
    what: str = 'input maps',
    kind: str = 'input',
) -> None:
    """Check that a module receives one map per entry of ``in_channels``
    with those channels.

    Args:
        owner (str): Class or function named in the error.
        maps (Sequence[Tensor]): The maps, ``(N, C_i, H_i, W_i)`` each.
        in_channels (Sequence[int]): The expected ``C_i``.
        what (str): How the count error names the maps, e.g. ``'feature
            maps (scales (4,))'``. Defaults to ``'input maps'``.
        kind (str): How the channel error names them (``'<kind>
            channels'``). Defaults to ``'input'``.

    Raises:
        ValueError: On a wrong number of maps or channels.
    """
    in_channels = tuple(in_channels)
    if len(maps) != len(in_channels):
        raise ValueError(
            f'{owner}: expected {len(in_channels)} {what}, got {len(maps)}.'
        )
    got = tuple(int(x.shape[1]) for x in maps)
    if got != in_channels:
        raise ValueError(
            f'{owner}: {kind} channels {got} do not match in_channels '
            f'{in_channels}.'
        )
