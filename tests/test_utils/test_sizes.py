"""to_pair: one int or an (h, w) pair of positive integers."""

import numpy as np
import pytest

from mmdepthsr.utils.sizes import to_pair


def test_int_and_pairs():
    assert to_pair(5, 'size') == (5, 5)
    assert to_pair(np.int64(3), 'size') == (3, 3)
    assert to_pair((4, 7), 'size') == (4, 7)
    assert to_pair([4.0, 2], 'size') == (4, 2)
    assert all(type(v) is int for v in to_pair((np.int32(2), 3.0), 'size'))


@pytest.mark.parametrize('value', [0, (4,), (4, 5, 3), (4, 0), (2.5, 2), -1])
def test_errors_name_the_value(value):
    with pytest.raises(ValueError, match=r'RandomCrop: crop_size must be a'):
        to_pair(value, 'RandomCrop: crop_size')
