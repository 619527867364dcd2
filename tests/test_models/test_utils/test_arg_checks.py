"""Argument and input checks shared by several modules."""

import pytest
import torch

from mmdepthsr.models.utils import check_map_channels, check_positive_ints


def test_check_positive_ints():
    assert check_positive_ints('M', 'channels', [2, 3], 2) == (2, 3)
    with pytest.raises(ValueError, match='M: `channels` must be 2 positive'):
        check_positive_ints('M', 'channels', (2, True), 2)


def test_check_map_channels():
    maps = [torch.zeros(1, 2, 4, 4), torch.zeros(1, 3, 2, 2)]
    check_map_channels('M', maps, (2, 3))
    with pytest.raises(ValueError, match=r'M: expected 3 input maps, got 2'):
        check_map_channels('M', maps, (2, 3, 4))
    with pytest.raises(
        ValueError, match=r'M: feature channels \(2, 3\) do not match '
    ):
        check_map_channels('M', maps, (2, 4), kind='feature')
