"""Loaders read what the files hold and reject bad files by name."""

import cv2
import numpy as np
import pytest
from PIL import Image

from mmdepthsr.datasets.transforms import (
    LoadDepth,
    LoadNormal,
    LoadRGBImage,
    LoadSemSeg,
)
from mmdepthsr.registry import TRANSFORMS


@pytest.fixture
def rgb():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)


def _write_png(path, array):
    assert cv2.imwrite(str(path), array)
    return str(path)


# --------------------------------------------------------------- RGB image
def test_load_rgb_image_keeps_rgb_order(tmp_path, rgb):
    path = _write_png(tmp_path / 'img.png', rgb[..., ::-1])  # cv2 is BGR
    results = LoadRGBImage()(dict(img_path=path))
    np.testing.assert_array_equal(results['img'], rgb)
    assert results['img'].dtype == np.uint8
    assert results['img_shape'] == results['ori_shape'] == (6, 8)
    results = LoadRGBImage(to_float32=True)(dict(img_path=path))
    assert results['img'].dtype == np.float32
    np.testing.assert_array_equal(results['img'], rgb.astype(np.float32))


def test_load_rgb_image_replicates_grayscale(tmp_path, rgb):
    path = _write_png(tmp_path / 'gray.png', rgb[..., 0])
    img = LoadRGBImage()(dict(img_path=path))['img']
    assert img.shape == (6, 8, 3)
    for c in range(3):
        np.testing.assert_array_equal(img[..., c], rgb[..., 0])


def test_load_rgb_image_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing_img.png'):
        LoadRGBImage()(dict(img_path=str(tmp_path / 'missing_img.png')))
    bad = tmp_path / 'broken_img.png'
    bad.write_bytes(b'this is not a png')
    with pytest.raises(ValueError, match=r'decode .*broken_img\.png'):
        LoadRGBImage()(dict(img_path=str(bad)))
    with pytest.raises(KeyError, match='img_path'):
        LoadRGBImage()(dict())


# ------------------------------------------------------------------ depth
def test_load_depth_16bit_png_millimetres(tmp_path):
    raw = np.array([[0, 1, 1234], [4000, 10000, 65535]], np.uint16)
    path = _write_png(tmp_path / 'sync_depth.png', raw)
    results = LoadDepth(depth_scale=1000)(dict(depth_path=path))
    depth = results['gt_depth']
    assert depth.dtype == np.float32 and depth.shape == (2, 3)
    np.testing.assert_allclose(
        depth, [[0, 0.001, 1.234], [4.0, 10.0, 65.535]], rtol=1e-6
    )


def test_load_depth_kitti_and_8bit_png(tmp_path):
    raw = np.array([[0, 256, 5120]], np.uint16)
    path = _write_png(tmp_path / 'kitti.png', raw)
    depth = LoadDepth(depth_scale=256)(dict(depth_path=path))['gt_depth']
    np.testing.assert_array_equal(depth, [[0, 1.0, 20.0]])
    raw8 = np.array([[0, 51, 255]], np.uint8)
    path = _write_png(tmp_path / 'depth8.png', raw8)
    load = LoadDepth(depth_scale=25.5, allow_8bit=True)
    depth = load(dict(depth_path=path))['gt_depth']
    np.testing.assert_allclose(depth, [[0, 2.0, 10.0]], rtol=1e-6)
    assert 'allow_8bit=True' in repr(load)


def test_load_depth_refuses_8bit_unless_declared(tmp_path):
    # A metric map saved as 8-bit (6.4 m = 6400 mm clipped or wrapped to
    # 0..255): with depth_scale=1000 every value would read below 0.256 m.
    raw8 = np.array([[0, 160, 255]], np.uint8)
    path = _write_png(tmp_path / 'depth8.png', raw8)
    for scale in (1000, None):
        with pytest.raises(ValueError) as info:
            LoadDepth(depth_scale=scale)(dict(depth_path=path))
        message = str(info.value)
        assert path in message
        assert '8-bit' in message and 'allow_8bit=True' in message
        assert ('at most 0.255 m with depth_scale=1000' in message) == (
            scale == 1000
        )
    # .npy of uint8 / int8 too; 16-bit and float files are unaffected.
    for dtype in (np.uint8, np.int8):
        npy = tmp_path / f'{np.dtype(dtype).name}.npy'
        np.save(npy, raw8.astype(dtype) // 2)
        with pytest.raises(ValueError, match=r'\.npy is 8-bit'):
            LoadDepth(depth_scale=1000)(dict(depth_path=str(npy)))
    path16 = _write_png(tmp_path / 'depth16.png', raw8.astype(np.uint16))
    depth = LoadDepth(depth_scale=1000)(dict(depth_path=path16))['gt_depth']
    np.testing.assert_allclose(depth, [[0, 0.16, 0.255]], rtol=1e-6)
    # Declared 8-bit data (Middlebury grey levels) load as they are.
    depth = LoadDepth(depth_scale=1.0, allow_8bit=True)(dict(depth_path=path))[
        'gt_depth'
    ]
    np.testing.assert_array_equal(depth, [[0, 160, 255]])


def test_load_depth_npy(tmp_path):
    metres = np.array([[0.0, 1.5], [2.25, 9.0]], np.float64)
    np.save(tmp_path / 'd.npy', metres[..., None])  # H x W x 1 is fine
    load = LoadDepth(key='gt_depth', path_key='depth_path')
    depth = load(dict(depth_path=str(tmp_path / 'd.npy')))['gt_depth']
    assert depth.dtype == np.float32 and depth.shape == (2, 2)
    np.testing.assert_array_equal(depth, metres)
    depth = LoadDepth(depth_scale=2)(dict(depth_path=str(tmp_path / 'd.npy')))
    np.testing.assert_array_equal(depth['gt_depth'], metres / 2)
    np.save(tmp_path / 'mm.npy', np.array([[0, 1500]], np.uint16))
    depth = LoadDepth(depth_scale=1000)(
        dict(depth_path=str(tmp_path / 'mm.npy'))
    )['gt_depth']
    np.testing.assert_allclose(depth, [[0, 1.5]])


def test_load_lr_depth_sets_scale_factor(tmp_path, rgb):
    np.save(tmp_path / 'lr.npy', np.ones((3, 4), np.float32))
    results = LoadDepth(key='lr_depth', path_key='lr_depth_path')(
        dict(img=rgb, lr_depth_path=str(tmp_path / 'lr.npy'))
    )
    assert results['scale_factor'] == 2
    assert results['lr_depth'].shape == (3, 4)
    np.save(tmp_path / 'lr_odd.npy', np.ones((4, 4), np.float32))
    with pytest.raises(ValueError, match=r'lr_odd\.npy.*integer'):
        LoadDepth(key='lr_depth', path_key='p')(
            dict(img=rgb, p=str(tmp_path / 'lr_odd.npy'))
        )
    with pytest.raises(ValueError, match=r'lr\.npy.*scale_factor'):
        LoadDepth(key='lr_depth', path_key='p')(
            dict(img=rgb, p=str(tmp_path / 'lr.npy'), scale_factor=4)
        )


def _depth_error(tmp_path, name, array, exc=ValueError, match='', **kw):
    path = tmp_path / name
    if name.endswith('.npy'):
        np.save(path, array)
    else:
        _write_png(path, array)
    results = dict(depth_path=str(path), **kw.pop('results', {}))
    with pytest.raises(exc, match=name.replace('.', r'\.') + '.*' + match):
        LoadDepth(**kw)(results)


def test_load_depth_rejects_bad_files(tmp_path, rgb):
    ok = np.ones((6, 8), np.float32)
    with pytest.raises(FileNotFoundError, match='nowhere.png'):
        LoadDepth(depth_scale=1)(
            dict(depth_path=str(tmp_path / 'nowhere.png'))
        )
    (tmp_path / 'corrupt.png').write_bytes(b'\x89PNG garbage')
    with pytest.raises(ValueError, match=r'decode .*corrupt\.png'):
        LoadDepth(depth_scale=1)(
            dict(depth_path=str(tmp_path / 'corrupt.png'))
        )
    (tmp_path / 'corrupt.npy').write_bytes(b'not numpy')
    with pytest.raises(ValueError, match=r'corrupt\.npy.*\.npy'):
        LoadDepth()(dict(depth_path=str(tmp_path / 'corrupt.npy')))
    # integer files need depth_scale
    _depth_error(
        tmp_path, 'no_scale.png', ok.astype(np.uint16), match='depth_scale'
    )
    _depth_error(tmp_path, 'int.npy', ok.astype(np.int32), match='depth_scale')
    # wrong dtype, channels and shape
    _depth_error(tmp_path, 'bool.npy', ok > 0, exc=TypeError, match='bool')
    _depth_error(
        tmp_path, 'rgb_as_depth.png', rgb, depth_scale=1000, match='3 channels'
    )
    _depth_error(tmp_path, 'two_ch.npy', np.ones((6, 8, 2)), match='shape')
    _depth_error(tmp_path, 'flat.npy', np.ones(6), match='shape')
    _depth_error(
        tmp_path,
        'small.npy',
        np.ones((5, 8)),
        match=r'\(6, 8\)',
        results=dict(img=rgb),
    )
    # values
    bad = ok.copy()
    bad[0, 0] = np.nan
    _depth_error(tmp_path, 'nan.npy', bad, match='1 NaN/inf')
    bad[0, 0] = np.inf
    _depth_error(tmp_path, 'inf.npy', bad, match='NaN/inf')
    bad[0, 0] = -0.5
    _depth_error(tmp_path, 'neg.npy', bad, match='negative')
    _depth_error(
        tmp_path,
        'zeros.png',
        np.zeros((6, 8), np.uint16),
        depth_scale=1000,
        match='no valid pixel',
    )
    with pytest.raises(ValueError, match='depth_scale must be positive'):
        LoadDepth(depth_scale=0)


def test_load_depth_size_must_match_image(tmp_path, rgb):
    np.save(tmp_path / 'ok.npy', np.ones((6, 8), np.float32))
    results = LoadDepth()(dict(img=rgb, depth_path=str(tmp_path / 'ok.npy')))
    assert results['gt_depth'].shape == rgb.shape[:2]


# ----------------------------------------------------------------- labels
def test_load_sem_seg_png_and_palette(tmp_path):
    labels = np.array([[0, 1, 2], [255, 39, 3]], np.uint8)
    path = _write_png(tmp_path / 'labels.png', labels)
    out = LoadSemSeg(num_classes=40)(dict(seg_map_path=path))['gt_sem_seg']
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, labels)
    pal = Image.fromarray(labels, mode='L').convert('P')
    pal.putpalette([v for i in range(256) for v in (i, 255 - i, 7)])
    pal.save(tmp_path / 'palette.png')
    out = LoadSemSeg()(dict(seg_map_path=str(tmp_path / 'palette.png')))
    np.testing.assert_array_equal(out['gt_sem_seg'], labels)


def test_load_sem_seg_16bit_and_reduce_zero_label(tmp_path):
    labels = np.array([[0, 1, 300]], np.uint16)
    path = _write_png(tmp_path / 'l16.png', labels)
    out = LoadSemSeg()(dict(seg_map_path=path))['gt_sem_seg']
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, [[0, 1, 300]])
    path = _write_png(tmp_path / 'nyu40.png', np.array([[0, 1, 40]], np.uint8))
    out = LoadSemSeg(num_classes=40, reduce_zero_label=True)(
        dict(seg_map_path=path)
    )['gt_sem_seg']
    np.testing.assert_array_equal(out, [[255, 0, 39]])


def test_load_sem_seg_errors(tmp_path, rgb):
    path = _write_png(
        tmp_path / 'bad_ids.png', np.array([[0, 7, 9], [255, 9, 1]], np.uint8)
    )
    with pytest.raises(ValueError, match=r'bad_ids\.png.*\[7, 9\]'):
        LoadSemSeg(num_classes=5)(dict(seg_map_path=path))
    path = _write_png(tmp_path / 'colour.png', rgb)
    with pytest.raises(ValueError, match=r'colour\.png.*single-channel'):
        LoadSemSeg()(dict(seg_map_path=path))
    path = _write_png(tmp_path / 'wrong_size.png', np.zeros((5, 8), np.uint8))
    with pytest.raises(ValueError, match=r'wrong_size\.png.*\(6, 8\)'):
        LoadSemSeg()(dict(seg_map_path=path, img=rgb))
    with pytest.raises(FileNotFoundError, match='no_labels.png'):
        LoadSemSeg()(dict(seg_map_path=str(tmp_path / 'no_labels.png')))
    (tmp_path / 'junk.png').write_bytes(b'junk')
    with pytest.raises(ValueError, match=r'decode .*junk\.png'):
        LoadSemSeg()(dict(seg_map_path=str(tmp_path / 'junk.png')))


# ---------------------------------------------------------------- normals
def _encode(normals):
    """(n + 1) / 2 * 255 in R, G, B order, written by cv2 (BGR)."""
    rgb = np.rint((normals + 1) / 2 * 255).astype(np.uint8)
    return rgb[..., ::-1]


def test_load_normal_png_decodes_and_marks_invalid(tmp_path):
    n = np.array([[[0, 0, -1], [0.6, -0.8, 0], [0, 0, 0]]], np.float32)
    path = _write_png(tmp_path / 'normal.png', _encode(n))
    out = LoadNormal()(dict(normal_path=path))['gt_normal']
    assert out.dtype == np.float32 and out.shape == (1, 3, 3)
    np.testing.assert_allclose(out[0, :2], n[0, :2], atol=6e-3)
    np.testing.assert_allclose(np.linalg.norm(out[0, :2], axis=-1), 1, 1e-6)
    # (128, 128, 128) is the encoded zero vector: invalid
    np.testing.assert_array_equal(out[0, 2], 0)


def test_load_normal_nyu_ladicky_axes(tmp_path):
    # file channels: 0 = right, 1 = viewing axis (< 0 facing the camera),
    # 2 = up; values read on NYU image 433 (a real NYU normal PNG)
    floor, wall = [0.09, -0.14, 0.97], [0.54, -0.79, -0.15]
    n = np.array([[floor, wall]], np.float32)
    path = _write_png(tmp_path / 'nyu_normal.png', _encode(n))
    out = LoadNormal(axis_order=(0, 2, 1), signs=(1, -1, 1))(
        dict(normal_path=path)
    )['gt_normal']
    assert out[0, 0, 1] < -0.9  # floor points up (negative y)
    assert out[0, 1, 2] < -0.7  # the wall faces the camera (negative z)
    expected = np.array([0.09, -0.97, -0.14])
    np.testing.assert_allclose(
        out[0, 0], expected / np.linalg.norm(expected), atol=6e-3
    )


def test_load_normal_npy_axes_and_errors(tmp_path, rgb):
    n = np.array([[[0.0, 0.6, 0.8], [0.0, 0.0, 0.0]]])
    np.save(tmp_path / 'n.npy', n)
    out = LoadNormal(encoding='npy', axis_order=(2, 0, 1), signs=(-1, 1, 1))(
        dict(normal_path=str(tmp_path / 'n.npy'))
    )['gt_normal']
    np.testing.assert_allclose(out, [[[-0.8, 0.0, 0.6], [0, 0, 0]]], atol=1e-7)
    bad = n.copy()
    bad[0, 0, 0] = np.nan
    np.save(tmp_path / 'nan_normal.npy', bad)
    with pytest.raises(ValueError, match=r'nan_normal\.npy.*NaN'):
        LoadNormal(encoding='npy')(
            dict(normal_path=str(tmp_path / 'nan_normal.npy'))
        )
    np.save(tmp_path / 'two.npy', n[..., :2])
    with pytest.raises(ValueError, match=r'two\.npy.*H x W x 3'):
        LoadNormal(encoding='npy')(dict(normal_path=str(tmp_path / 'two.npy')))
    path = _write_png(tmp_path / 'gray_normal.png', rgb[..., 0])
    with pytest.raises(ValueError, match=r'gray_normal\.png.*3-channel'):
        LoadNormal()(dict(normal_path=path))
    path = _write_png(
        tmp_path / 'big_normal.png', np.zeros((7, 8, 3), np.uint8)
    )
    with pytest.raises(ValueError, match=r'big_normal\.png.*\(6, 8\)'):
        LoadNormal()(dict(normal_path=path, img=rgb))
    with pytest.raises(ValueError, match='permutation'):
        LoadNormal(axis_order=(0, 0, 1))
    with pytest.raises(ValueError, match='signs'):
        LoadNormal(signs=(1, 2, 1))


def test_loaders_build_and_repr():
    load = TRANSFORMS.build(dict(type='LoadDepth', depth_scale=256))
    assert repr(load) == (
        "LoadDepth(key='gt_depth', path_key='depth_path', depth_scale=256, "
        'allow_8bit=False, backend_args=None)'
    )
    assert repr(LoadRGBImage()) == (
        'LoadRGBImage(to_float32=False, backend_args=None)'
    )
    assert 'num_classes=13' in repr(LoadSemSeg(num_classes=13))
    assert 'axis_order=(0, 2, 1)' in repr(LoadNormal(axis_order=(0, 2, 1)))


# ------------------------------------------------------- label map lookup
def test_load_sem_seg_label_map_dict_and_array(tmp_path):
    ids = np.array([[0, 1, 2], [3, 1, 0]], np.uint8)
    path = _write_png(tmp_path / 'ids.png', ids)
    out = LoadSemSeg(label_map={0: 255, 1: 0, 2: 1, 3: 1})(
        dict(seg_map_path=path)
    )['gt_sem_seg']
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, [[255, 0, 1], [1, 0, 255]])
    out = LoadSemSeg(label_map=np.array([7, 6, 5, 4]), num_classes=8)(
        dict(seg_map_path=path)
    )['gt_sem_seg']
    np.testing.assert_array_equal(out, [[7, 6, 5], [4, 6, 7]])


def test_load_sem_seg_label_map_from_results(tmp_path):
    path = _write_png(tmp_path / 'ids.png', np.array([[7, 26, 0]], np.uint8))
    lut = np.full(34, 255)
    lut[7], lut[26] = 0, 13
    out = LoadSemSeg(num_classes=19)(dict(seg_map_path=path, label_map=lut))
    np.testing.assert_array_equal(out['gt_sem_seg'], [[0, 13, 255]])
    # The argument wins over the per-sample map.
    out = LoadSemSeg(label_map={0: 1, 7: 2, 26: 3})(
        dict(seg_map_path=path, label_map=lut)
    )
    np.testing.assert_array_equal(out['gt_sem_seg'], [[2, 3, 1]])
    with pytest.raises(ValueError, match=r'ids\.png.*reduce_zero_label'):
        LoadSemSeg(reduce_zero_label=True)(
            dict(seg_map_path=path, label_map=lut)
        )


def test_load_sem_seg_label_map_unknown_ids(tmp_path):
    ids = np.array([[0, 40, 1], [200, 40, 2]], np.uint8)
    path = _write_png(tmp_path / 'odd_ids.png', ids)
    lut = [5, 6, -1]  # id 2 unknown, ids >= 3 unknown
    with pytest.raises(ValueError, match=r'odd_ids\.png.*\[2, 40, 200\]'):
        LoadSemSeg(label_map=lut)(dict(seg_map_path=path))
    out = LoadSemSeg(label_map=lut, unknown_label='ignore')(
        dict(seg_map_path=path)
    )['gt_sem_seg']
    np.testing.assert_array_equal(out, [[5, 255, 6], [255, 255, 255]])
    # The num_classes check applies to the mapped ids.
    with pytest.raises(ValueError, match=r'odd_ids\.png.*\[5, 6\]'):
        LoadSemSeg(label_map=lut, unknown_label='ignore', num_classes=3)(
            dict(seg_map_path=path)
        )


def test_load_sem_seg_label_map_bad_arguments():
    with pytest.raises(ValueError, match='not both'):
        LoadSemSeg(label_map=[0, 1], reduce_zero_label=True)
    with pytest.raises(ValueError, match='unknown_label'):
        LoadSemSeg(label_map=[0, 1], unknown_label='drop')
    with pytest.raises(ValueError, match='non-negative'):
        LoadSemSeg(label_map={-1: 3})
    with pytest.raises(ValueError, match='1-D integer'):
        LoadSemSeg(label_map=np.zeros((2, 2), np.int64))
    with pytest.raises(ValueError, match='1-D integer'):
        LoadSemSeg(label_map=[0.5, 1.0])
    text = repr(LoadSemSeg(label_map=np.arange(34)))
    assert "label_map=<34 ids>, unknown_label='error'" in text


# ---------------------------------------------------- disparity -> depth
def test_load_disparity_depth_values(tmp_path, rgb):
    # baseline 0.2 m, fx 100 px -> baseline * fx = 20 px m.
    # p = 0 invalid; p = 1 is disparity 0 -> invalid; p = 257 -> 1 px ->
    # 20 m; p = 513 -> 2 px -> 10 m; p = 2561 -> 10 px -> 2 m;
    # p = 65535 -> 65534 / 256 = 255.9921875 px -> 0.078127... m.
    stored = np.zeros((6, 8), np.uint16)
    stored[0, :6] = [0, 1, 257, 513, 2561, 65535]
    path = _write_png(tmp_path / 'disp.png', stored)
    results = dict(
        img=rgb,
        disparity_path=path,
        stereo_baseline=0.2,
        cam_intrinsics=np.array([100.0, 90.0, 4.0, 3.0]),
    )
    depth = TRANSFORMS.build(dict(type='LoadDisparityDepth'))(results)[
        'gt_depth'
    ]
    assert depth.dtype == np.float32 and depth.shape == (6, 8)
    np.testing.assert_allclose(
        depth[0, :6],
        [0.0, 0.0, 20.0, 10.0, 2.0, 20.0 / (65534 / 256)],
        rtol=1e-7,
    )
    assert not depth[1:].any()


def test_load_disparity_depth_options(tmp_path):
    path = _write_png(tmp_path / 'disp.png', np.array([[0, 5, 9]], np.uint8))
    out = TRANSFORMS.build(
        dict(
            type='LoadDisparityDepth',
            key='lr_depth',
            path_key='disp',
            baseline_key='base',
            disparity_scale=2.0,
            disparity_offset=0.0,
        )
    )(dict(disp=path, base=1.0, cam_intrinsics=[10.0, 10.0, 1.0, 0.0]))
    # disparity = p / 2 -> 2.5 px and 4.5 px; depth = 10 / disparity.
    np.testing.assert_allclose(out['lr_depth'], [[0.0, 4.0, 10 / 4.5]])


def test_load_disparity_depth_errors(tmp_path, rgb):
    from mmdepthsr.datasets.transforms.loading import LoadDisparityDepth

    good = _write_png(
        tmp_path / 'disp_ok.png', np.full((6, 8), 300, np.uint16)
    )
    camera = dict(stereo_baseline=0.2, cam_intrinsics=[100.0, 100.0, 4, 3])
    load = LoadDisparityDepth()
    with pytest.raises(KeyError, match=r'disp_ok\.png.*stereo_baseline'):
        load(dict(disparity_path=good, cam_intrinsics=[1.0, 1, 0, 0]))
    with pytest.raises(KeyError, match=r'disp_ok\.png.*cam_intrinsics'):
        load(dict(disparity_path=good, stereo_baseline=0.2))
    with pytest.raises(ValueError, match=r'disp_ok\.png.*baseline -0\.2'):
        load(dict(camera, disparity_path=good, stereo_baseline=-0.2))
    with pytest.raises(ValueError, match=r'disp_ok\.png.*fx nan'):
        load(dict(camera, disparity_path=good, cam_intrinsics=[np.nan] * 4))
    with pytest.raises(KeyError, match='disparity_path'):
        load(dict(camera))
    with pytest.raises(FileNotFoundError, match=r'no_disp\.png'):
        load(dict(camera, disparity_path=str(tmp_path / 'no_disp.png')))
    empty = _write_png(tmp_path / 'disp_empty.png', np.ones((6, 8), np.uint16))
    with pytest.raises(ValueError, match=r'disp_empty\.png.*no valid'):
        load(dict(camera, disparity_path=empty))
    small = _write_png(tmp_path / 'disp_small.png', np.ones((5, 8), np.uint16))
    with pytest.raises(ValueError, match=r'disp_small\.png.*\(6, 8\)'):
        load(dict(camera, disparity_path=small, img=rgb))
    colour = _write_png(tmp_path / 'disp_rgb.png', rgb)
    with pytest.raises(ValueError, match=r'disp_rgb\.png.*channels'):
        load(dict(camera, disparity_path=colour))
    with pytest.raises(ValueError, match='disparity_scale'):
        LoadDisparityDepth(disparity_scale=0)
    assert repr(load) == (
        "LoadDisparityDepth(key='gt_depth', path_key='disparity_path', "
        "baseline_key='stereo_baseline', disparity_scale=256.0, "
        'disparity_offset=1.0, backend_args=None)'
    )
