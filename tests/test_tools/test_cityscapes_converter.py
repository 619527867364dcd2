"""tools/dataset_converters/cityscapes.py on a tiny Cityscapes tree."""

import importlib.util
import os
import os.path as osp
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmdepthsr.testing.cityscapes import write_cityscapes

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location(
        'cityscapes_converter',
        ROOT / 'tools' / 'dataset_converters' / 'cityscapes.py',
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _zip(source, folders, path):
    """A package-like zip: the folders plus README and licence files."""
    with zipfile.ZipFile(path, 'w') as archive:
        archive.writestr('README', 'readme')
        archive.writestr('license.txt', 'licence')
        for folder in folders:
            for dirpath, _, names in os.walk(osp.join(source, folder)):
                for name in names:
                    full = osp.join(dirpath, name)
                    archive.write(full, osp.relpath(full, source))
    return str(path)


def test_extract_then_check(tool, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(tool, 'CITYSCAPES_IMAGE_SHAPE', (64, 128))
    source = str(tmp_path / 'source')
    tree = write_cityscapes(source, frames_per_city=2)
    zips = [
        _zip(source, ['leftImg8bit', 'camera'], tmp_path / 'a.zip'),
        _zip(source, ['disparity', 'gtFine'], tmp_path / 'b.zip'),
    ]
    out = str(tmp_path / 'cityscapes')
    assert tool.main(['extract', *zips, '--out-dir', out]) == 0
    assert not osp.exists(osp.join(out, 'README'))
    frame = tree['samples']['val'][3]
    copied = frame['disparity_path'].replace(source, out)
    np.testing.assert_array_equal(
        cv2.imread(copied, cv2.IMREAD_UNCHANGED), frame['disparity']
    )
    text = capsys.readouterr().out
    assert "'leftImg8bit': 8" in text and "'gtFine': 8" in text
    assert '[train] 4 frames (expected 2975) in 2 cities' in text
    assert '[val] 4 frames (expected 500) in 2 cities' in text
    assert 'baseline 0.2093..0.2103 m' in text
    assert 'No problem found.' in text
    # Share of p == 0 and p == 1 pixels of the four val frames.
    p = np.stack([f['disparity'] for f in tree['samples']['val']])
    assert f'p = 0 {np.mean(p == 0):.1%}' in text
    assert f'p = 1 (zero disparity, invalid) {np.mean(p == 1):.2%}' in text

    # A label id outside the table is reported, and the check fails.
    bad = frame['seg_map_path'].replace(source, out)
    cv2.imwrite(bad, np.full((64, 128), 40, np.uint8))
    assert tool.main(['check', out]) == 1
    text = capsys.readouterr().out
    assert 'unknown label ids [40]' in text and osp.basename(bad) in text


def test_check_reports_wrong_size_and_missing_files(tool, tmp_path, capsys):
    root = str(tmp_path)
    tree = write_cityscapes(root, splits=('val',))
    assert tool.main(['check', root]) == 1  # 64 x 128 is not 1024 x 2048
    assert '(1024, 2048) x 3' in capsys.readouterr().out
    os.remove(tree['samples']['val'][0]['camera_path'])
    assert tool.main(['check', root]) == 1
    assert 'cannot be listed' in capsys.readouterr().out
    with pytest.raises(ValueError, match='not a zip'):
        tool.main(['extract', str(tmp_path / 'none.zip'), '--out-dir', root])
    assert tool.main(['check', str(tmp_path / 'empty')]) == 1
