import hashlib
import importlib.util
import json
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmdepthsr.datasets import NYULabeledDataset
from mmdepthsr.testing.nyu import (
    FIXTURE_LABELS,
    RAW_HOLE,
    RAW_MARKER_PIXEL,
    official_fixture_splits,
    write_nyu_labeled_mat,
    write_nyu_splits_mat,
)

ROOT = Path(__file__).resolve().parents[2]
NUM = 3


def _load_tool():
    spec = importlib.util.spec_from_file_location(
        'nyu_converter', ROOT / 'tools' / 'dataset_converters' / 'nyu.py'
    )
    module = importlib.util.module_from_spec(spec)
    # Registered so that worker processes (--nproc) can unpickle its
    # functions.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


TOOL = _load_tool()


def _read(path):
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert image is not None, path
    return image


def _lines(path):
    return Path(path).read_text().split()


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('nyu_converter')
    written = write_nyu_labeled_mat(str(tmp / 'labeled.mat'), NUM)
    splits = official_fixture_splits(NUM)  # train [3], test [1, 2]
    write_nyu_splits_mat(str(tmp / 'splits.mat'), **splits)
    out = tmp / 'out'
    meta = TOOL.main(
        [
            str(tmp / 'labeled.mat'),
            str(tmp / 'splits.mat'),
            '--out-dir',
            str(out),
            '--nproc',
            '2',
            '--dsr-num-train',
            '2',
        ]
    )
    return dict(tmp=tmp, out=out, written=written, meta=meta)


def test_images_are_not_transposed(converted):
    out, written = converted['out'], converted['written']
    for i in range(NUM):
        bgr = _read(out / 'images' / f'{i:04d}.png')
        assert bgr.shape == (480, 640, 3) and bgr.dtype == np.uint8
        rgb = bgr[..., ::-1]
        np.testing.assert_array_equal(rgb, written['images'][i])
        assert tuple(rgb[0, 0]) == (255, 0, 0)  # red top-left block
        # right edge: full red ramp; bottom edge: full green ramp
        assert tuple(rgb[479, 639]) == (255, 255, 50 + 40 * i)
        assert tuple(rgb[0, 639]) == (255, 0, 50 + 40 * i)


def test_depths_in_millimetres(converted):
    out, written = converted['out'], converted['written']
    for i in range(NUM):
        depth = _read(out / 'depths' / f'{i:04d}.png')
        raw = _read(out / 'raw_depths' / f'{i:04d}.png')
        assert depth.dtype == raw.dtype == np.uint16
        assert depth.shape == raw.shape == (480, 640)
        # 1.23456 m + 0.1 i -> 1234.56 mm + 100 i -> rounded
        assert depth[0, 0] == 1235 + 100 * i
        assert depth[0, 639] == 4000 + 250 * i  # the wall
        np.testing.assert_array_equal(
            depth, np.round(written['depths'][i] * 1000)
        )
        # raw: missing on the left border and in the hole, 0 = missing
        assert not raw[:, :40].any() and not raw[RAW_HOLE].any()
        assert raw[RAW_MARKER_PIXEL] == 2718
        assert raw[0, 639] == depth[0, 639]
        np.testing.assert_array_equal(
            raw, np.round(written['raw_depths'][i] * 1000)
        )


def test_class_maps(converted):
    out = converted['out']
    labels894 = _read(out / 'labels894' / '0001.png')
    labels40 = _read(out / 'labels40' / '0001.png')
    labels13 = _read(out / 'labels13' / '0001.png')
    assert labels894.dtype == np.uint16
    assert labels40.dtype == labels13.dtype == np.uint8
    np.testing.assert_array_equal(labels894, converted['written']['labels'][1])
    for name, (id894, id40, id13) in FIXTURE_LABELS.items():
        where = labels894 == id894
        assert where.any(), name
        assert (labels40[where] == id40).all(), name
        assert (labels13[where] == id13).all(), name
    # 894-id 11 (floor) -> 40-id 2 floor -> 13-id 5 floor, bottom row
    assert (labels894[479, 0], labels40[479, 0], labels13[479, 0]) == (
        11,
        2,
        5,
    )
    assert labels894[0, 0] == labels40[0, 0] == labels13[0, 0] == 0


def test_normals_png(converted):
    out = converted['out']
    raw = _read(out / 'raw_depths' / '0000.png')
    png = _read(out / 'normals' / '0000.png')
    assert png.dtype == np.uint16 and png.shape == (480, 640, 3)
    # cv2 reads B, G, R = z, y, x. Floor "up" = (0, -1, 0): x = z = 32768
    # (the encoded 0), y = 0; the wall faces the camera: z = -1.
    # Fits are exact up to float rounding: +-1 of the 16-bit code.
    np.testing.assert_allclose(png[470, 320], [32768, 0, 32768], atol=1)
    np.testing.assert_allclose(png[300, 320], [0, 32768, 32768], atol=1)
    # Invalid (zero vector) exactly where the raw depth is missing.
    normals = png[..., ::-1].astype(np.float64) / 65535 * 2 - 1
    valid = np.linalg.norm(normals, axis=-1) > 0.5
    np.testing.assert_array_equal(valid, raw > 0)
    np.testing.assert_array_equal(png[0, 0], [32768] * 3)


def test_splits_scenes_and_meta(converted, capsys):
    out, meta, tmp = converted['out'], converted['meta'], converted['tmp']
    # splits.mat is 1-based: train [3], test [1, 2] -> 0-based
    assert _lines(out / 'splits' / 'train.txt') == ['2']
    assert _lines(out / 'splits' / 'test.txt') == ['0', '1']
    assert _lines(out / 'splits' / 'dsr_train.txt') == ['0', '1']
    assert _lines(out / 'splits' / 'dsr_test.txt') == ['2']
    assert (out / 'scenes.txt').read_text().splitlines() == [
        '0 kitchen_0000a kitchen',
        '1 bedroom_0001a bedroom',
        '2 bathroom_0002a bathroom',
    ]
    on_disk = json.loads((out / 'meta.json').read_text())
    assert on_disk == json.loads(json.dumps(meta))
    digest = hashlib.sha256((tmp / 'labeled.mat').read_bytes()).hexdigest()
    assert meta['source']['mat']['sha256'] == digest
    assert meta['num_images'] == NUM and meta['image_shape'] == [480, 640]
    assert meta['intrinsics']['fx'] == pytest.approx(518.8579)
    assert meta['normals']['window'] == 17
    assert meta['classes40'][1] == 'floor' and len(meta['classes13']) == 13
    assert meta['classes894'][10] == 'class11'
    assert meta['official_split_matches'] is True
    summary = meta['summary']
    assert summary['counts'] == dict(train=1, test=2, dsr_train=2, dsr_test=1)
    assert summary['depth_range_m'] == [1.235, 4.5]
    assert summary['labels894_max'] == 894
    assert summary['dsr_test_in_official_train'] == 1
    assert summary['dsr_test_in_official_test'] == 0
    assert summary['dsr_train_in_official_test'] == 2
    assert 0.9 < summary['raw_valid_fraction'] < 0.95


def test_converted_layout_loads(converted):
    dataset = NYULabeledDataset(
        str(converted['out']),
        split='test',
        seg_classes=13,
        with_normal=True,
        pipeline=[
            dict(type='LoadRGBImage'),
            dict(type='LoadDepth', depth_scale=1000),
            dict(type='LoadSemSeg', num_classes=13, reduce_zero_label=True),
            dict(type='LoadNormal', encoding='png'),
        ],
    )
    assert len(dataset) == 2
    sample = dataset[1]
    assert sample['nyu_index'] == 1
    assert sample['gt_depth'][RAW_MARKER_PIXEL] == pytest.approx(2.718)
    assert sample['gt_depth'][0, 0] == 0  # raw depth: missing
    assert sample['gt_sem_seg'][0, 0] == 255  # unlabelled -> ignore
    assert sample['gt_sem_seg'][479, 0] == 4  # 13-id 5 floor, 0-based
    np.testing.assert_allclose(
        sample['gt_normal'][470, 320], [0, -1, 0], atol=1e-4
    )


def test_split_checks(converted, tmp_path):
    mat = str(converted['tmp'] / 'labeled.mat')

    def run(train, test):
        write_nyu_splits_mat(str(tmp_path / 's.mat'), train, test)
        TOOL.main([mat, str(tmp_path / 's.mat'), '--out-dir', str(tmp_path)])

    with pytest.raises(ValueError, match='share 1 indices'):
        run([1, 3], [1, 2])
    with pytest.raises(ValueError, match='in no split'):
        run([3], [1])
    with pytest.raises(ValueError, match=r'1-based indices in 1\.\.3'):
        run([0, 3], [1, 2])
    with pytest.raises(OSError, match='HDF5'):
        TOOL.main(
            [
                str(tmp_path / 's.mat'),
                str(tmp_path / 's.mat'),
                '--out-dir',
                str(tmp_path),
            ]
        )
    with pytest.raises(FileNotFoundError, match='missing.mat'):
        TOOL.main([str(tmp_path / 'missing.mat'), mat, '--out-dir', 'x'])


def test_mismatched_split_warns_and_normals_on_filled(tmp_path, capsys):
    write_nyu_labeled_mat(str(tmp_path / 'labeled.mat'), 2)
    # The official split puts frames 1 and 2 (1-based) in the test set.
    write_nyu_splits_mat(str(tmp_path / 'splits.mat'), [1], [2])
    out = tmp_path / 'out'
    meta = TOOL.main(
        [
            str(tmp_path / 'labeled.mat'),
            str(tmp_path / 'splits.mat'),
            '--out-dir',
            str(out),
            '--normal-valid',
            'filled',
        ]
    )
    printed = capsys.readouterr().out
    assert 'WARNING: testNdxs differs from the official' in printed
    assert 'DSR test set: 0 official-train and 0 official-test' in printed
    assert meta['official_split_matches'] is False
    assert _lines(out / 'splits' / 'train.txt') == ['0']
    png = _read(out / 'normals' / '0000.png')
    # Without the raw mask the left border (raw depth 0) has normals too.
    np.testing.assert_allclose(png[300, 10], [0, 32768, 32768], atol=1)
