"""pil_bicubic_resize against Pillow's float resize, and its weights by
hand."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from mmdepthsr.models.utils import pil_bicubic_resize, pil_bicubic_weights


def _pil_resize(array, size):
    """Pillow's bicubic resize of a float32 ``(h, w)`` array to ``size``
    ``(H, W)``."""
    img = Image.fromarray(np.asarray(array, dtype=np.float32), mode='F')
    out = img.resize((size[1], size[0]), Image.Resampling.BICUBIC)
    return np.asarray(out, dtype=np.float32)


def _random_depth(shape, seed=0):
    rng = np.random.default_rng(seed)
    # Depth-like values with steps, so that the kernel shape matters.
    depth = rng.uniform(0.5, 10.0, shape)
    depth[..., : shape[-1] // 2] += 3.0
    return depth.astype(np.float32)


def _assert_close_to_pil(out, ref, rel=1e-5):
    scale = float(np.abs(ref).max())
    np.testing.assert_allclose(out, ref, rtol=0, atol=rel * scale)


@pytest.mark.parametrize('scale', [2, 4, 8, 16])
@pytest.mark.parametrize('lr_size', [(5, 7), (6, 8), (1, 4), (17, 12)])
def test_upsampling_equals_pil(lr_size, scale):
    lr = _random_depth(lr_size, seed=scale)
    size = (lr_size[0] * scale, lr_size[1] * scale)
    ref = _pil_resize(lr, size)
    out = pil_bicubic_resize(torch.from_numpy(lr), size)
    assert out.shape == size and out.dtype == torch.float32
    _assert_close_to_pil(out.numpy(), ref)
    # float64 input: Pillow's float32 storage is the only difference.
    out64 = pil_bicubic_resize(torch.from_numpy(lr).double(), size)
    assert out64.dtype == torch.float64
    _assert_close_to_pil(out64.numpy(), ref, rel=1e-6)


def test_torch_bicubic_is_not_pil():
    """The tolerance above separates the two bicubics."""
    lr = _random_depth((6, 8))
    ref = _pil_resize(lr, (48, 64))
    torch_up = F.interpolate(
        torch.from_numpy(lr)[None, None],
        size=(48, 64),
        mode='bicubic',
        align_corners=False,
    )[0, 0].numpy()
    assert np.abs(torch_up - ref).max() > 1e-2 * np.abs(ref).max()


@pytest.mark.parametrize(
    'hr_size, lr_size',
    [((48, 64), (6, 8)), ((37, 50), (5, 9)), ((9, 5), (4, 7))],
)
def test_downsampling_and_mixed_equal_pil(hr_size, lr_size):
    """Antialiased shrinking (support widened by in / out), non-integer
    ratios, and one axis shrunk while the other grows."""
    hr = _random_depth(hr_size, seed=1)
    ref = _pil_resize(hr, lr_size)
    out = pil_bicubic_resize(torch.from_numpy(hr), lr_size)
    _assert_close_to_pil(out.numpy(), ref)


def test_batch_and_channels_are_independent_images():
    lr = _random_depth((2, 3, 5, 7), seed=3)
    out = pil_bicubic_resize(torch.from_numpy(lr), (20, 28))
    assert out.shape == (2, 3, 20, 28)
    for n in range(2):
        for c in range(3):
            ref = _pil_resize(lr[n, c], (20, 28))
            _assert_close_to_pil(out[n, c].numpy(), ref)


def test_weights_by_hand():
    # x2 upsampling, a = -0.5. Output pixel 5 of 16 has centre 2.75: input
    # pixels 1..4 sit at offsets -1.25, -0.25, 0.75, 1.75 from it.
    w = pil_bicubic_weights(8, 16)
    assert w.shape == (16, 8)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-15)
    row = np.zeros(8)
    row[1:5] = [-0.0703125, 0.8671875, 0.2265625, -0.0234375]
    np.testing.assert_allclose(w[5], row, atol=1e-15)
    # Output pixel 0 (centre 0.25): only input pixels 0 and 1 are inside
    # the image; their weights 0.8671875 and -0.0703125 are renormalised
    # by their sum 0.796875 (no edge replication).
    row = np.zeros(8)
    row[:2] = [0.8671875 / 0.796875, -0.0703125 / 0.796875]
    np.testing.assert_allclose(w[0], row, atol=1e-15)
    # Equal sizes: the identity, as Pillow copies the image.
    np.testing.assert_array_equal(pil_bicubic_weights(5, 5), np.eye(5))
    # x2 downsampling: the kernel is stretched to support 4 (8 taps).
    w = pil_bicubic_weights(16, 8)
    assert (np.count_nonzero(w, axis=1)[2:-2] == 8).all()
    assert not w.flags.writeable
    with pytest.raises(ValueError, match='positive'):
        pil_bicubic_weights(0, 4)


def test_linear_ramp_is_reproduced_away_from_the_border():
    """Keys' a = -0.5 reproduces linear maps (a = -0.75 does not); near
    the border the renormalised weights do not."""
    ramp = 2.0 + 0.5 * torch.arange(12.0, dtype=torch.float64)
    out = pil_bicubic_resize(ramp.expand(3, 12), (3, 48))[1]
    x = (torch.arange(48, dtype=torch.float64) + 0.5) / 4 - 0.5
    torch.testing.assert_close(out[8:-8], 2.0 + 0.5 * x[8:-8])
    assert (out[:2] - (2.0 + 0.5 * x[:2])).abs().min() > 1e-3


def test_gradient_and_device_dtype():
    x = torch.rand(1, 2, 3, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda t: pil_bicubic_resize(t, (6, 8)), (x,)
    )
    # The gradient of the sum is the column sums of the two weight maps.
    pil_bicubic_resize(x, (6, 8)).sum().backward()
    wy = torch.from_numpy(np.array(pil_bicubic_weights(3, 6)))
    wx = torch.from_numpy(np.array(pil_bicubic_weights(4, 8)))
    expected = wy.sum(0)[:, None] * wx.sum(0)[None, :]
    torch.testing.assert_close(x.grad, expected.expand(1, 2, 3, 4))
    with pytest.raises(ValueError, match='floating-point'):
        pil_bicubic_resize(torch.ones(2, 2, dtype=torch.int64), (4, 4))
