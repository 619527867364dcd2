"""Grid positions and tiled (slide) inference with overlap blending.

The toy network is two bias-free 3x3 convolutions with a ReLU between them,
fed with the nearest-upsampled LR depth and its product with the image: it
is fully convolutional with a receptive-field radius of 2 HR pixels and
positively homogeneous in the depth (f(img, c * lr) = c * f(img, lr) for
c > 0), so per-tile normalisation by the tile maximum does not change its
output in metres. Stitched and whole-image outputs are compared in float32
with an absolute tolerance of 1e-5 (the values are O(1); only the summation
order of the convolutions differs between a tile and the whole image).
"""

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmdepthsr.models.utils import grid_positions, slide_inference
from mmdepthsr.models.utils.tiling import tile_weights

RADIUS = 2  # two 3x3 convolutions
TOL = 1e-5


class ToyFCN(nn.Module):
    def __init__(self, scale_factor: int):
        super().__init__()
        self.scale_factor = scale_factor
        self.conv1 = nn.Conv2d(2, 6, 3, padding=1, bias=False)
        self.conv2 = nn.Conv2d(6, 1, 3, padding=1, bias=False)

    def forward(self, img, lr):
        up = F.interpolate(lr, scale_factor=self.scale_factor, mode='nearest')
        x = torch.cat([up, up * img[:, :1]], dim=1)
        return self.conv2(torch.relu(self.conv1(x)))


def _inputs(n=2, height=44, width=52, s=4, seed=0):
    gen = torch.Generator().manual_seed(seed)
    img = torch.rand(n, 3, height, width, generator=gen)
    lr = 0.5 + 4.5 * torch.rand(n, 1, height // s, width // s, generator=gen)
    return img, lr


def _covered(size, patch, stride):
    cover = np.zeros(size, int)
    for p in grid_positions(size, patch, stride):
        cover[p : p + patch] += 1
    return cover


@pytest.mark.parametrize(
    'size, patch, stride',
    [
        (10, 4, None),
        (12, 4, 4),
        (13, 5, 3),
        (7, 7, 2),
        (100, 32, 24),
        (9, 1, 1),
        (50, 16, 16),
        (50, 16, 5),
    ],
)
def test_grid_positions_cover_everything(size, patch, stride):
    pos = grid_positions(size, patch, stride)
    step = patch if stride is None else stride
    assert pos[0] == 0 and pos[-1] == size - patch
    assert all(b > a for a, b in zip(pos, pos[1:]))
    # Regular steps; only the last one may be shorter.
    assert all(b - a == step for a, b in zip(pos[:-1], pos[1:-1]))
    assert (_covered(size, patch, stride) >= 1).all()


def test_grid_positions_values_and_errors():
    assert grid_positions(10, 4) == [0, 4, 6]
    assert grid_positions(8, 4, 2) == [0, 2, 4]
    assert grid_positions(8, 8) == [0]
    with pytest.raises(ValueError, match='tile size 9'):
        grid_positions(8, 9)
    with pytest.raises(ValueError, match='leave pixels out'):
        grid_positions(10, 4, 5)


def test_tile_weights_hand_values():
    # Inner edges on both sides: tent 0.5, 1.5, ... capped at length / 2.
    assert tile_weights(6, 4, 20, 'linear').tolist() == pytest.approx(
        [0.5, 1.5, 2.5, 2.5, 1.5, 0.5]
    )
    # Left edge on the image border keeps full weight there.
    assert tile_weights(6, 0, 20, 'linear').tolist() == pytest.approx(
        [3.0, 3.0, 3.0, 2.5, 1.5, 0.5]
    )
    assert tile_weights(6, 4, 20, 'mean', margin=2).tolist() == [
        0,
        0,
        1,
        1,
        0,
        0,
    ]
    assert tile_weights(6, 14, 20, 'mean', margin=2).tolist() == [
        0,
        0,
        1,
        1,
        1,
        1,
    ]
    assert tile_weights(6, 4, 20, 'linear', margin=1).tolist() == (
        pytest.approx([0, 0.5, 1.5, 1.5, 0.5, 0])
    )


@pytest.mark.parametrize(
    'shape, patch, stride, s, blend, margin',
    [
        ((44, 52), (16, 24), (8, 12), 4, 'mean', 0),
        ((44, 52), (16, 24), (8, 12), 4, 'linear', 2),
        ((44, 52), (16, 24), None, 4, 'mean', 0),
        ((30, 18), 12, 6, 2, 'linear', 3),
        ((30, 18), 12, 6, 3, 'mean', 3),
        ((16, 40), 64, None, 4, 'mean', 0),  # tile larger than the image
    ],
)
def test_every_pixel_covered_and_placed(
    shape, patch, stride, s, blend, margin
):
    img, lr = _inputs(height=shape[0], width=shape[1], s=s)
    kwargs = dict(
        patch_size=patch,
        stride=stride,
        scale_factor=s,
        blend=blend,
        margin=margin,
    )
    ones = slide_inference(
        lambda i, d: torch.ones_like(i[:, :1]), img, lr, **kwargs
    )
    assert torch.equal(ones, torch.ones_like(img[:, :1]))
    # Each tile output lands on its own box (image channel 0 comes back).
    same = slide_inference(lambda i, d: i[:, :1] * 1.0, img, lr, **kwargs)
    torch.testing.assert_close(same, img[:, :1], atol=1e-6, rtol=0)
    # The LR tile is the HR box divided by s.
    up = slide_inference(
        lambda i, d: F.interpolate(d, scale_factor=s, mode='nearest'),
        img,
        lr,
        **kwargs,
    )
    whole = F.interpolate(lr, scale_factor=s, mode='nearest')
    torch.testing.assert_close(up, whole, atol=1e-6, rtol=0)


@pytest.mark.parametrize('blend', ['mean', 'linear'])
@pytest.mark.parametrize('normalize', [None, 'max'])
def test_margin_reproduces_whole_image(blend, normalize):
    torch.manual_seed(0)
    model = ToyFCN(4).eval()
    img, lr = _inputs()
    with torch.no_grad():
        whole = model(img, lr)
        tiled = slide_inference(
            model,
            img,
            lr,
            patch_size=(16, 24),
            stride=(8, 12),
            scale_factor=4,
            normalize=normalize,
            blend=blend,
            margin=RADIUS,
        )
    torch.testing.assert_close(tiled, whole, atol=TOL, rtol=0)


def test_normalize_max_gives_tiles_unit_maximum():
    img, lr = _inputs()
    seen = []

    def record(i, d):
        seen.append(d.amax(dim=(1, 2, 3)))
        return F.interpolate(d, scale_factor=4, mode='nearest')

    out = slide_inference(
        record,
        img,
        lr,
        patch_size=16,
        stride=8,
        scale_factor=4,
        normalize='max',
    )
    assert all(torch.allclose(m, torch.ones_like(m)) for m in seen)
    assert sum(len(m) for m in seen) == 2 * 5 * 6  # 2 images x 5 x 6 tiles
    # Every tile output is de-normalised: metres come back.
    torch.testing.assert_close(
        out,
        F.interpolate(lr, scale_factor=4, mode='nearest'),
        atol=1e-6,
        rtol=0,
    )


def _seam_band(shape, patch, stride, radius):
    """HR pixels within ``radius`` of an inner edge of a tile holding them."""
    height, width = shape
    band = np.zeros(shape, bool)
    for top in grid_positions(height, patch[0], stride[0]):
        for left in grid_positions(width, patch[1], stride[1]):
            tile = np.zeros(patch, bool)
            if top > 0:
                tile[:radius] = True
            if top + patch[0] < height:
                tile[-radius:] = True
            if left > 0:
                tile[:, :radius] = True
            if left + patch[1] < width:
                tile[:, -radius:] = True
            band[top : top + patch[0], left : left + patch[1]] |= tile
    return band


def test_mean_blend_without_margin_differs_only_near_seams():
    torch.manual_seed(0)
    model = ToyFCN(4).eval()
    img, lr = _inputs()
    patch, stride = (16, 24), (8, 12)
    with torch.no_grad():
        whole = model(img, lr)
        tiled = slide_inference(
            model, img, lr, patch_size=patch, stride=stride, scale_factor=4
        )
    diff = (tiled - whole).abs().amax(dim=(0, 1)).numpy()
    band = _seam_band((44, 52), patch, stride, RADIUS)
    assert diff[~band].max() < TOL
    assert diff[band].max() > 1e-3  # the seams do show without a margin
    # Image borders are not seams: the corners are exact.
    assert not band[[0, 0, -1, -1], [0, -1, 0, -1]].any()


def test_slide_inference_errors():
    img, lr = _inputs()
    with pytest.raises(ValueError, match='multiples of scale_factor 4'):
        slide_inference(
            lambda i, d: i[:, :1], img, lr, patch_size=18, scale_factor=4
        )
    with pytest.raises(ValueError, match='stride <= patch - 2 \\* margin'):
        slide_inference(
            lambda i, d: i[:, :1],
            img,
            lr,
            patch_size=16,
            stride=12,
            scale_factor=4,
            margin=4,
        )
    with pytest.raises(ValueError, match='divided by scale_factor'):
        slide_inference(
            lambda i, d: i[:, :1],
            img,
            lr[..., :-1],
            patch_size=16,
            scale_factor=4,
        )
    with pytest.raises(ValueError, match='HR tile size'):
        slide_inference(lambda i, d: d, img, lr, patch_size=16, scale_factor=4)
    with pytest.raises(ValueError, match='normalize'):
        slide_inference(
            lambda i, d: i[:, :1],
            img,
            lr,
            patch_size=16,
            scale_factor=4,
            normalize='mean',
        )


def _reference_slide(
    forward_fn,
    img,
    lr,
    patch,
    stride,
    s,
    normalize=None,
    blend='mean',
    margin=0,
    raw_keys=(),
):
    """Tile-by-tile stitching: one network call per grid position (all
    images of the batch), written out as plainly as possible."""
    n, _, height, width = img.shape
    (ph, pw), (sh, sw) = patch, stride
    out, weight_sum = {}, torch.zeros(1, 1, height, width)
    for top in grid_positions(height, ph, sh):
        wy = tile_weights(ph, top, height, blend, margin)
        for left in grid_positions(width, pw, sw):
            wx = tile_weights(pw, left, width, blend, margin)
            weight = wy[:, None] * wx[None, :]
            hr = (slice(top, top + ph), slice(left, left + pw))
            lr_tile = lr[..., top // s : (top + ph) // s, left // s :]
            lr_tile = lr_tile[..., : pw // s]
            if normalize == 'max':
                high = lr_tile.amax(dim=(1, 2, 3), keepdim=True)
                lr_tile = lr_tile / high
            pred = forward_fn(img[(..., *hr)], lr_tile)
            for key, value in (
                pred if isinstance(pred, dict) else {None: pred}
            ).items():
                if normalize == 'max' and key not in raw_keys:
                    value = value * high
                if key not in out:
                    out[key] = torch.zeros(n, value.shape[1], height, width)
                out[key][(..., *hr)] += value * weight
            weight_sum[(..., *hr)] += weight
    out = {key: value / weight_sum for key, value in out.items()}
    return out if isinstance(pred, dict) else out[None]


class ToyMultiField(nn.Module):
    """Three outputs of the toy network: two depths (one homogeneous in the
    LR depth, one with a depth-free offset) and 4-class logits."""

    def __init__(self, scale_factor: int):
        super().__init__()
        self.fcn = ToyFCN(scale_factor)
        self.seg = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, img, lr):
        sr = self.fcn(img, lr)
        return dict(
            sr=sr,
            depth=0.5 * sr + img[:, 1:2],
            seg=self.seg(img) * lr.mean(dim=(1, 2, 3), keepdim=True),
        )


BATCHED_CASES = [
    # (N, (H, W), patch, stride, s, blend, margin, normalize)
    (2, (44, 52), (16, 24), (8, 12), 4, 'mean', 0, None),
    (2, (44, 52), (16, 24), (8, 12), 4, 'linear', 2, 'max'),
    (3, (30, 22), (12, 12), (6, 6), 2, 'linear', 3, 'max'),
    (1, (33, 21), (12, 12), (6, 6), 3, 'mean', 3, None),
    (3, (44, 44), (24, 16), (16, 8), 4, 'mean', 0, 'max'),
    (2, (28, 36), (12, 20), (12, 20), 4, 'linear', 0, None),
]


@pytest.mark.parametrize(
    'n, shape, patch, stride, s, blend, margin, normalize', BATCHED_CASES
)
def test_batched_tiles_equal_the_tile_by_tile_loop(
    n, shape, patch, stride, s, blend, margin, normalize
):
    # Every case has a last row or column flush with the border that
    # overlaps its neighbour by more than patch - stride.
    assert any((size - p) % st for size, p, st in zip(shape, patch, stride))
    torch.manual_seed(0)
    model = ToyFCN(s).eval()
    img, lr = _inputs(n=n, height=shape[0], width=shape[1], s=s)
    lr[0, 0, 0, 0] = 0.0  # a hole: normalisation uses valid pixels only
    kwargs = dict(
        patch_size=patch,
        stride=stride,
        scale_factor=s,
        blend=blend,
        margin=margin,
        normalize=normalize,
    )
    num_tiles = n * len(grid_positions(shape[0], patch[0], stride[0]))
    num_tiles *= len(grid_positions(shape[1], patch[1], stride[1]))
    seen = []

    def forward(i, d):
        seen.append(i.shape[0])
        return model(i, d)

    with torch.no_grad():
        ref = _reference_slide(
            model, img, lr, patch, stride, s, normalize, blend, margin
        )
        for size in (1, 2, n, 5, num_tiles - 1, num_tiles, None):
            seen.clear()
            got = slide_inference(
                forward, img, lr, tile_batch_size=size, **kwargs
            )
            torch.testing.assert_close(got, ref, atol=1e-6, rtol=1e-6)
            # The tiles go through in slices of tile_batch_size.
            step = num_tiles if size is None else size
            assert sum(seen) == num_tiles
            assert seen[:-1] == [step] * (len(seen) - 1)
            assert 0 < seen[-1] <= step


@pytest.mark.parametrize('normalize', [None, 'max'])
def test_batched_tiles_multi_field(normalize):
    torch.manual_seed(0)
    model = ToyMultiField(4).eval()
    img, lr = _inputs(n=3, height=44, width=52)
    kwargs = dict(
        patch_size=(16, 24),
        stride=(8, 12),
        scale_factor=4,
        blend='linear',
        margin=1,
        normalize=normalize,
        raw_keys=('seg',),
    )
    with torch.no_grad():
        ref = _reference_slide(
            model,
            img,
            lr,
            (16, 24),
            (8, 12),
            4,
            normalize,
            'linear',
            1,
            raw_keys=('seg',),
        )
        for size in (1, 4, None):
            got = slide_inference(
                model, img, lr, tile_batch_size=size, **kwargs
            )
            assert sorted(got) == ['depth', 'seg', 'sr']
            assert got['seg'].shape == (3, 4, 44, 52)
            for key in got:
                torch.testing.assert_close(
                    got[key], ref[key], atol=1e-6, rtol=1e-6
                )
    if normalize == 'max':
        # The logits are stitched as returned (never multiplied back) and
        # the depth offset is de-normalised with each tile's maximum, so
        # both differ from the un-normalised stitching.
        plain = slide_inference(model, img, lr, **dict(kwargs, normalize=None))
        assert not torch.allclose(plain['seg'], got['seg'], atol=1e-3)
        assert not torch.allclose(plain['depth'], got['depth'], atol=1e-3)


def test_tile_batch_size_errors():
    img, lr = _inputs()
    for bad in (0, -1, 2.0, True, 'all'):
        with pytest.raises(ValueError, match='tile_batch_size must be a'):
            slide_inference(
                lambda i, d: i[:, :1],
                img,
                lr,
                patch_size=16,
                scale_factor=4,
                tile_batch_size=bad,
            )
