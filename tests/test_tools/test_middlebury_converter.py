"""tools/dataset_converters/middlebury.py on tiny Middlebury-format scenes."""

import importlib.util
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmdepthsr.datasets.middlebury import MIDDLEBURY2005_SCENES
from mmdepthsr.testing.middlebury import (
    write_middlebury2005_scenes,
    write_pmbanet_test_files,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location(
        'middlebury_converter',
        ROOT / 'tools' / 'dataset_converters' / 'middlebury.py',
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _read(path):
    return cv2.imread(str(path), cv2.IMREAD_UNCHANGED)


def test_scene_list_matches_the_dataset(tool):
    assert tool.PMBANET_SCENES == MIDDLEBURY2005_SCENES


def test_fill_holes_hand_values(tool):
    # no ties: columns 1, 2 are nearer to the 5, columns 3, 4 to the 9
    disp = np.array([[5, 0, 0, 0, 0, 9]], np.uint8)
    np.testing.assert_array_equal(
        tool.fill_holes(disp, 'nearest'), [[5, 5, 5, 9, 9, 9]]
    )
    ring = np.zeros((3, 3), np.uint8)
    ring[1, 1] = 7
    assert (tool.fill_holes(ring, 'nearest') == 7).all()
    for method in ('telea', 'ns'):
        filled = tool.fill_holes(disp, method)
        assert filled.dtype == np.uint8
        # inpainting stays within the known range up to one grey level of
        # overshoot (cv2's Telea gave 10 here once inside a full test run,
        # depending on OpenCV's global state)
        assert filled.min() >= 4 and filled.max() <= 10
        np.testing.assert_array_equal(filled[disp > 0], disp[disp > 0])
    with pytest.raises(ValueError, match='no known pixel'):
        tool.fill_holes(np.zeros((2, 2), np.uint8))
    with pytest.raises(ValueError, match='fill'):
        tool.fill_holes(disp, 'bilateral')


def test_crop_window_full_size(tool):
    # Middlebury 2005 full size 1390 x 1110 -> 1344 x 1088
    assert tool.crop_window(1110, 1390) == (0, 0, 1088, 1344)
    assert tool.crop_window(1110, 1390, position='center') == (
        11,
        23,
        1088,
        1344,
    )
    assert tool.crop_window(1110, 1342) == (0, 0, 1088, 1280)
    with pytest.raises(ValueError, match='smaller than one 64'):
        tool.crop_window(60, 100)


def test_convert_download_layout(tool, tmp_path, capsys):
    src, out = tmp_path / 'src', tmp_path / 'out'
    written = write_middlebury2005_scenes(
        str(src), scenes=('Art', 'Books'), shape=(70, 150)
    )
    records = tool.main([str(src), str(out), '--scenes', 'Art', 'Books'])
    assert (out / 'splits' / 'test.txt').read_text() == 'Art\nBooks\n'
    for scene in ('Art', 'Books'):
        disp = _read(out / scene / 'disp1.png')
        rgb = cv2.imread(str(out / scene / 'view1.png'))[..., ::-1]
        assert disp.dtype == np.uint8 and disp.shape == (64, 128)
        assert disp.min() > 0  # holes filled
        original = written[scene]['disp']
        filled = tool.fill_holes(original, 'nearest')
        np.testing.assert_array_equal(disp, filled[:64, :128])  # top-left
        np.testing.assert_array_equal(rgb, written[scene]['rgb'][:64, :128])
        known = original[:64, :128] > 0
        np.testing.assert_array_equal(disp[known], original[:64, :128][known])
        assert records[scene]['crop_box'] == (0, 0, 64, 128)
        assert records[scene]['holes'] == int((original == 0).sum())
    summary = capsys.readouterr().out
    assert 'Converted 2 scene(s)' in summary
    assert '150 x 70 -> 128 x 64' in summary


def test_convert_center_crop_and_other_split(tool, tmp_path):
    src, out = tmp_path / 'src', tmp_path / 'out'
    written = write_middlebury2005_scenes(
        str(src), scenes=('Aloe',), shape=(70, 150)
    )
    tool.main(
        [str(src), str(out), '--scenes', 'Aloe', '--split', 'train']
        + ['--crop', 'center', '--fill', 'telea']
    )
    assert (out / 'splits' / 'train.txt').read_text() == 'Aloe\n'
    rgb = cv2.imread(str(out / 'Aloe' / 'view1.png'))[..., ::-1]
    # (70 - 64) // 2 = 3 rows and (150 - 128) // 2 = 11 columns off
    np.testing.assert_array_equal(rgb, written['Aloe']['rgb'][3:67, 11:139])
    assert _read(out / 'Aloe' / 'disp1.png').min() > 0


def test_convert_pmbanet_files(tool, tmp_path, capsys):
    src, out = tmp_path / 'pmbanet', tmp_path / 'out'
    written = write_pmbanet_test_files(str(src))
    records = tool.main([str(src), str(out), '--source', 'pmbanet'])
    assert list(records) == list(MIDDLEBURY2005_SCENES)
    lines = (out / 'splits' / 'test.txt').read_text().split()
    assert lines == list(MIDDLEBURY2005_SCENES)
    # file 4 is Laundry
    np.testing.assert_array_equal(
        _read(out / 'Laundry' / 'disp1.png'), written[4]['disp']
    )
    assert 'Converted 6 scene(s)' in capsys.readouterr().out
    with pytest.raises(SystemExit, match='Computer'):
        tool.main(
            [str(src), str(out), '--source', 'pmbanet', '--scenes', 'Computer']
        )


def test_errors_name_the_file(tool, tmp_path):
    src = tmp_path / 'src'
    write_middlebury2005_scenes(str(src), scenes=('Art',))
    with pytest.raises(FileNotFoundError, match=r'Dolls[/\\]view1\.png'):
        tool.main([str(src), str(tmp_path / 'out'), '--scenes', 'Dolls'])
    cv2.imwrite(str(src / 'Art' / 'disp1.png'), np.zeros((70, 150), np.uint8))
    with pytest.raises(ValueError, match=r'disp1\.png: .*no known pixel'):
        tool.main([str(src), str(tmp_path / 'out'), '--scenes', 'Art'])
    cv2.imwrite(str(src / 'Art' / 'disp1.png'), np.ones((60, 150), np.uint8))
    with pytest.raises(ValueError, match=r'disp1\.png has size'):
        tool.main([str(src), str(tmp_path / 'out'), '--scenes', 'Art'])
    pmba = tmp_path / 'pmbanet'
    write_pmbanet_test_files(str(pmba), shapes=[(64, 100)])
    with pytest.raises(ValueError, match=r'1\.png.*not a multiple of 64'):
        tool.main(
            [str(pmba), str(tmp_path / 'o2'), '--source', 'pmbanet']
            + ['--scenes', 'Art']
        )
