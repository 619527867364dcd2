"""tools/misc/check_dataset.py on SynthRooms (rendered and written to PNG
files in the usual on-disk formats) and on patch / DSR pipelines."""

import importlib.util
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmengine.dataset import BaseDataset

from mmdepthsr.datasets import SynthRoomsDataset
from mmdepthsr.registry import DATASETS

ROOT = Path(__file__).resolve().parents[2]
SYNTH_CONFIG = str(ROOT / 'configs' / '_base_' / 'datasets' / 'synthrooms.py')
SHAPE = (24, 32)
#: Depth pixels zeroed per written sample: HOLES * (index + 1).
HOLES = 5


def _load_tool(name):
    spec = importlib.util.spec_from_file_location(
        name, ROOT / 'tools' / 'misc' / f'{name}.py'
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def tool():
    return _load_tool('check_dataset')


@DATASETS.register_module(name='CheckDatasetFileList', force=True)
class FileListDataset(BaseDataset):
    """Samples listed in a JSON annotation file (MMEngine's format)."""

    METAINFO = SynthRoomsDataset.METAINFO


def write_png_dataset(root: Path, num: int = 3) -> dict:
    """SynthRooms val samples as files: RGB PNG, uint16 millimetre depth
    PNG (``HOLES * (i + 1)`` pixels of the first rows zeroed), uint8 label
    PNG, 8-bit normal PNG, listed in ``ann.json``.

    Returns:
        dict: ``ann_file``, ``depth_mm`` (the written arrays), ``paths``
        (per sample, by key) and ``intrinsics``.
    """
    synth = SynthRoomsDataset(split='val', num_samples=num, img_shape=SHAPE)
    root.mkdir(parents=True, exist_ok=True)
    data_list, depths, paths = [], [], []
    for i in range(num):
        sample = synth.get_data_info(i)
        files = {
            key: str(root / f'{i:03d}_{key}.png')
            for key in ('img', 'depth', 'seg', 'normal')
        }
        cv2.imwrite(files['img'], sample['img'][..., ::-1])
        depth = np.round(sample['gt_depth'] * 1000).astype(np.uint16)
        depth.flat[: HOLES * (i + 1)] = 0
        cv2.imwrite(files['depth'], depth)
        cv2.imwrite(files['seg'], sample['gt_sem_seg'].astype(np.uint8))
        normal = np.round((sample['gt_normal'] + 1) * 127.5).astype(np.uint8)
        cv2.imwrite(files['normal'], normal[..., ::-1])
        depths.append(depth)
        paths.append(files)
        data_list.append(
            dict(
                img_path=files['img'],
                depth_path=files['depth'],
                seg_map_path=files['seg'],
                normal_path=files['normal'],
                cam_intrinsics=synth.cam_intrinsics.tolist(),
                sample_idx=i,
            )
        )
    ann_file = root / 'ann.json'
    ann_file.write_text(json.dumps(dict(metainfo={}, data_list=data_list)))
    return dict(
        ann_file=str(ann_file),
        depth_mm=depths,
        paths=paths,
        intrinsics=synth.cam_intrinsics,
    )


def _png_config(tmp_path, ann_file, depth_scale=1000.0, extra=''):
    pipeline = (
        "[dict(type='LoadRGBImage'), "
        f"dict(type='LoadDepth', depth_scale={depth_scale}), "
        "dict(type='LoadSemSeg'), "
        f"dict(type='LoadNormal'{extra}), "
        "dict(type='PackDenseInputs')]"
    )
    path = tmp_path / 'png_dataset.py'
    path.write_text(
        'val_dataloader = dict(dataset=dict(type="CheckDatasetFileList", '
        f'ann_file={ann_file!r}, pipeline={pipeline}))\n'
    )
    return str(path)


def _run(tool, tmp_path, argv, capsys):
    out = tmp_path / 'report.json'
    code = tool.main([*argv, '--out', str(out)])
    text = capsys.readouterr().out
    report = json.loads(out.read_text())
    checks = {c['name']: c for c in report['checks']}
    return code, text, report, checks


def _status(checks):
    return {name: c['status'] for name, c in checks.items()}


def test_spread_indices(tool):
    assert tool.spread_indices(100, 5) == [0, 25, 50, 74, 99]
    assert tool.spread_indices(3, 20) == [0, 1, 2]
    assert tool.spread_indices(10, 1) == [0]
    assert tool.spread_indices(0, 5) == []


def test_long_notes_keep_the_file_at_their_end(tool):
    # Two paths longer than a line (e.g. pytest-xdist's temporary folders):
    # four lines unshortened, and the middle cut cannot shorten them.
    img = '/tmp/' + 'x' * 80 + '/001_img.png'
    depth = '/tmp/' + 'x' * 80 + '/001_depth.png'
    note = f'#1 {img}: FileNotFoundError: gt_depth file not found: {depth}'
    lines = tool._note_lines(note)
    assert len(lines) <= 3
    assert lines[-1].strip() == depth
    assert lines[0].strip().startswith('#1 ...')
    assert 'FileNotFoundError' in ' '.join(lines)
    # A note that fits is left alone.
    assert tool._note_lines('#1: short note') == [' ' * 16 + '#1: short note']


def test_synthrooms_config_report_values(tool, tmp_path, capsys):
    options = [
        '--cfg-options',
        'val_dataloader.dataset.num_samples=4',
        f'val_dataloader.dataset.img_shape={SHAPE}',
        'val_dataloader.dataset.raw_holes=True',
    ]
    code, text, report, checks = _run(
        tool, tmp_path, [SYNTH_CONFIG, '--num', '3', *options], capsys
    )
    assert code == 0
    assert report['indices'] == [0, 2, 3]  # spread, ends included
    assert report['length'] == 4
    assert set(_status(checks).values()) == {'OK', 'SKIP'}
    assert checks['lr/hr']['status'] == 'SKIP'
    # Hand-computed from the rendered samples.
    dataset = SynthRoomsDataset(
        split='val', num_samples=4, img_shape=SHAPE, raw_holes=True
    )
    depths = [dataset.get_data_info(i)['gt_depth'] for i in (0, 2, 3)]
    ratios = [float((d > 0).mean()) for d in depths]
    assert min(ratios) < 1  # holes exist
    valid = np.concatenate([d[d > 0] for d in depths]).astype(np.float64)
    stats = [s['gt_depth'] for s in report['samples']]
    assert [s['valid_ratio'] for s in stats] == pytest.approx(ratios)
    assert checks['valid']['message'].startswith(
        f'valid gt_depth per sample min {min(ratios):.3f} mean '
        f'{np.mean(ratios):.3f}; 0 samples'
    )
    assert (
        f'gt_depth {valid.min():.3g} / {np.median(valid):.3g} / '
        f'{valid.max():.3g} m' in checks['depth']['message']
    )
    labels = sorted(
        {int(i) for i in np.unique(dataset.get_data_info(0)['gt_sem_seg'])}
    )
    assert report['samples'][0]['gt_sem_seg']['ids'] == labels
    assert report['samples'][0]['meta']['cam_intrinsics'] == pytest.approx(
        dataset.cam_intrinsics.tolist()
    )
    assert report['samples'][0]['gt_normal']['facing_ratio'] == 1.0
    # One screen: header, one line per check, the summary.
    lines = text.strip().splitlines()
    assert len(lines) <= 40
    assert max(len(line) for line in lines) <= tool.WIDTH
    assert lines[-1] == '8 OK, 0 WARN, 0 FAIL'
    assert any(line.startswith('SKIP lr/hr') for line in lines)
    assert 'SynthRoomsDataset(split=' in text


def test_raw_results_match_packed(tool, tmp_path, capsys):
    options = [
        '--cfg-options',
        'val_dataloader.dataset.num_samples=2',
        f'val_dataloader.dataset.img_shape={SHAPE}',
    ]
    _, _, packed, _ = _run(tool, tmp_path, [SYNTH_CONFIG, *options], capsys)
    code, _, raw, checks = _run(
        tool,
        tmp_path,
        [SYNTH_CONFIG, *options, 'val_dataloader.dataset.pipeline=[]'],
        capsys,
    )
    assert code == 0
    assert raw['pipeline'] == []
    for a, b in zip(packed['samples'], raw['samples']):
        for key in ('img', 'gt_depth', 'gt_normal'):
            assert a[key] == b[key]
        # Packing makes labels int64; ids and ratios are the same.
        assert a['gt_sem_seg']['dtype'] == 'int64'
        assert b['gt_sem_seg']['dtype'] == 'uint8'
        assert a['gt_sem_seg']['ids'] == b['gt_sem_seg']['ids']
        assert a['meta']['cam_intrinsics'] == b['meta']['cam_intrinsics']


def test_png_dataset_ok_with_hand_computed_values(tool, tmp_path, capsys):
    fixture = write_png_dataset(tmp_path / 'data')
    config = _png_config(tmp_path, fixture['ann_file'])
    code, text, report, checks = _run(tool, tmp_path, [config], capsys)
    assert code == 0, text
    assert _status(checks) == dict(
        load='OK',
        image='OK',
        sizes='OK',
        depth='OK',
        valid='OK',
        labels='OK',
        normals='OK',
        intrinsics='OK',
        **{'lr/hr': 'SKIP'},
    )
    pixels = SHAPE[0] * SHAPE[1]
    expected = [1 - HOLES * (i + 1) / pixels for i in range(3)]
    got = [s['gt_depth']['valid_ratio'] for s in report['samples']]
    assert got == pytest.approx(expected)
    metres = np.concatenate(
        [
            (d.astype(np.float32) / np.float32(1000))[d > 0]
            for d in fixture['depth_mm']
        ]
    ).astype(np.float64)
    assert (
        f'{metres.min():.3g} / {np.median(metres):.3g} / {metres.max():.3g}'
        in checks['depth']['message']
    )
    assert report['samples'][1]['name'] == fixture['paths'][1]['img']
    assert 'LoadDepth(depth_scale=1000.0)' in report['pipeline']
    fx, fy, cx, cy = fixture['intrinsics']
    assert checks['intrinsics']['message'].startswith(
        f'fx {fx:.1f} fy {fy:.1f} cx {cx:.1f} cy {cy:.1f}'
    )
    # 8-bit normals are unit length after LoadNormal's re-normalisation.
    assert report['samples'][0]['gt_normal']['max_unit_error'] < 1e-5


def test_png_dataset_wrong_depth_scale_warns_about_units(
    tool, tmp_path, capsys
):
    fixture = write_png_dataset(tmp_path / 'data', num=2)
    config = _png_config(tmp_path, fixture['ann_file'], depth_scale=1.0)
    code, text, _, checks = _run(tool, tmp_path, [config], capsys)
    assert code == 0  # a warning, not a failure
    assert checks['depth']['status'] == 'WARN'
    assert 'millimetres?' in checks['depth']['notes'][0]
    assert 'WARN depth' in text and 'millimetres?' in text
    # Declaring the unit in the metainfo turns the heuristics off.
    code, _, _, checks = _run(
        tool,
        tmp_path,
        [
            config,
            '--cfg-options',
            'val_dataloader.dataset.metainfo.depth_unit=millimetres',
        ],
        capsys,
    )
    assert checks['depth']['status'] == 'OK'
    assert checks['depth']['message'].endswith('depth_unit: millimetres')
    # A normalised map (max <= 1) is flagged too.
    config = _png_config(tmp_path, fixture['ann_file'], depth_scale=1e5)
    _, _, _, checks = _run(tool, tmp_path, [config], capsys)
    assert checks['depth']['status'] == 'WARN'
    assert 'normalised units?' in checks['depth']['notes'][0]


def test_png_dataset_label_out_of_range_fails(tool, tmp_path, capsys):
    fixture = write_png_dataset(tmp_path / 'data', num=3)
    seg_path = fixture['paths'][2]['seg']
    labels = cv2.imread(seg_path, cv2.IMREAD_UNCHANGED)
    labels[0, :4] = 20  # SynthRooms has 6 classes
    labels[1, :4] = 255  # ignore: allowed
    cv2.imwrite(seg_path, labels)
    config = _png_config(tmp_path, fixture['ann_file'])
    code, text, _, checks = _run(tool, tmp_path, [config], capsys)
    assert code == 1
    assert checks['labels']['status'] == 'FAIL'
    assert checks['labels']['message'].startswith('ids [20] outside 0..5')
    assert fixture['paths'][2]['img'] in checks['labels']['notes'][0]
    assert 'FAIL labels' in text
    assert text.strip().endswith('1 FAIL -> exit status 1')


def test_png_dataset_missing_file_fails_naming_it(tool, tmp_path, capsys):
    fixture = write_png_dataset(tmp_path / 'data', num=3)
    missing = fixture['paths'][1]['depth']
    Path(missing).unlink()
    config = _png_config(tmp_path, fixture['ann_file'])
    code, text, report, checks = _run(tool, tmp_path, [config], capsys)
    assert code == 1
    assert checks['load']['status'] == 'FAIL'
    assert checks['load']['message'] == '1/3 samples raised an error'
    assert report['errors'][0]['idx'] == 1
    assert missing in report['errors'][0]['error']
    assert 'FileNotFoundError' in report['errors'][0]['error']
    assert missing in text
    # The other samples are still checked.
    assert [s['idx'] for s in report['samples']] == [0, 2]
    assert checks['depth']['status'] == 'OK'


def test_png_dataset_of_8bit_depth_fails(tool, tmp_path, capsys):
    """Metric depth saved as 8-bit PNGs (millimetres clipped to 255) loads
    as at most 0.255 m: a FAIL that names the file and the option, not a
    warning about normalised units."""
    fixture = write_png_dataset(tmp_path / 'data', num=2)
    for mm, files in zip(fixture['depth_mm'], fixture['paths']):
        cv2.imwrite(files['depth'], np.minimum(mm, 255).astype(np.uint8))
    config = _png_config(tmp_path, fixture['ann_file'])
    code, text, report, checks = _run(tool, tmp_path, [config], capsys)
    assert code == 1
    assert checks['load']['status'] == 'FAIL'
    assert checks['load']['message'] == '2/2 samples raised an error'
    for error, files in zip(report['errors'], fixture['paths']):
        assert files['depth'] in error['error']
        assert 'is 8-bit' in error['error']
        assert 'allow_8bit=True' in error['error']
    assert 'FAIL load' in text and 'allow_8bit=True' in text
    assert text.strip().endswith('-> exit status 1')


def test_png_dataset_flipped_normals_warn(tool, tmp_path, capsys):
    fixture = write_png_dataset(tmp_path / 'data', num=2)
    config = _png_config(
        tmp_path, fixture['ann_file'], extra=', signs=(-1, -1, -1)'
    )
    code, _, _, checks = _run(tool, tmp_path, [config], capsys)
    assert code == 0
    assert checks['normals']['status'] == 'WARN'
    assert '0% face the camera' in checks['normals']['message']
    assert 'point away from the camera' in checks['normals']['notes'][0]


def test_disparity_like_maps_warn(tool, tmp_path, capsys):
    fixture = write_png_dataset(tmp_path / 'data', num=4)
    ann = json.loads(Path(fixture['ann_file']).read_text())
    for i, info in enumerate(ann['data_list']):
        # Disparity in pixels for a 0.2 m baseline: fx * B / z.
        depth = fixture['depth_mm'][i].astype(np.float32) / 1000
        disparity = np.where(
            depth > 0, fixture['intrinsics'][0] * 0.2 / np.maximum(depth, 1), 0
        ).astype(np.float32)
        info['depth_path'] = str(tmp_path / 'data' / f'{i}_disp.npy')
        np.save(info['depth_path'], disparity)
    Path(fixture['ann_file']).write_text(json.dumps(ann))
    config = _png_config(tmp_path, fixture['ann_file'], depth_scale=None)
    code, _, _, checks = _run(tool, tmp_path, [config], capsys)
    assert code == 0
    assert checks['depth']['status'] == 'WARN'
    assert 'disparity / inverse depth?' in ' '.join(checks['depth']['notes'])


def test_principal_point_outside_image_fails(tool, tmp_path, capsys):
    fixture = write_png_dataset(tmp_path / 'data', num=1)
    ann = json.loads(Path(fixture['ann_file']).read_text())
    ann['data_list'][0]['cam_intrinsics'][2] = 500.0  # cx, image 32 wide
    Path(fixture['ann_file']).write_text(json.dumps(ann))
    config = _png_config(tmp_path, fixture['ann_file'])
    code, _, _, checks = _run(tool, tmp_path, [config], capsys)
    assert code == 1
    assert checks['intrinsics']['status'] == 'FAIL'
    assert 'principal point outside' in checks['intrinsics']['message']
    assert '500.0' in checks['intrinsics']['notes'][0]


def _dsr_config(tmp_path, patch_pipeline=None):
    if patch_pipeline is None:
        patch_pipeline = (
            "[dict(type='NormalizeDepth'), dict(type='PackDenseInputs')]"
        )
    path = tmp_path / 'dsr_patches.py'
    path.write_text(
        'val_dataloader = dict(dataset=dict(type="GridPatchDataset", '
        'patch_size=16, stride=16, dataset=dict(type="SynthRoomsDataset", '
        f'split="val", num_samples=2, img_shape={SHAPE}, '
        "pipeline=[dict(type='GenerateLRDepth', scale_factor=4, "
        f"method='nearest')]), pipeline={patch_pipeline}))\n"
    )
    return str(path)


def test_grid_patches_with_normalised_lr_depth(tool, tmp_path, capsys):
    code, text, report, checks = _run(
        tool, tmp_path, [_dsr_config(tmp_path)], capsys
    )
    assert code == 0, text
    # 24 x 32 -> rows (0, 8) x cols (0, 16) -> 4 patches per image.
    assert report['length'] == 8
    assert report['dataset'].startswith('GridPatchDataset of Synth')
    assert report['pipeline'] == [
        "GenerateLRDepth(scale_factor=4, method='nearest')",
        "NormalizeDepth(mode='minmax')",
        'PackDenseInputs',
    ]
    assert checks['lr/hr']['status'] == 'OK'
    assert checks['lr/hr']['message'].startswith(
        'x4 = scale_factor; normalised in 8/8'
    )
    assert checks['intrinsics']['status'] == 'OK'  # patch-relative cx, cy
    sample = report['samples'][3]
    assert sample['meta']['patch_box'] == [8, 16, 16, 16]
    assert sample['meta']['source_shape'] == list(SHAPE)
    assert sample['lr_depth']['shape'] == [4, 4]
    # Hand-computed: patch (8, 16) of image 0, nearest LR (phase 2),
    # min-max of the HR patch.
    full = (
        SynthRoomsDataset(split='val', num_samples=2, img_shape=SHAPE)
        .get_data_info(0)['gt_depth']
        .astype(np.float64)
    )
    hr = full[8:24, 16:32]
    lr = hr[2::4, 2::4]
    low, high = hr.min(), hr.max()
    assert sample['meta']['depth_norm_min'] == pytest.approx(low)
    assert sample['meta']['depth_norm_max'] == pytest.approx(high)
    assert sample['lr_depth']['min'] == pytest.approx(
        (lr.min() - low) / (high - low), abs=1e-6
    )
    assert sample['lr_depth']['max'] == pytest.approx(
        (lr.max() - low) / (high - low), abs=1e-6
    )
    # De-normalised back to metres for the median.
    assert sample['lr_depth']['median_denorm'] == pytest.approx(
        float(np.median(lr)), rel=1e-5
    )


def test_patch_principal_point_bounds(tool, tmp_path, capsys):
    # Flipped patches: cx is mirrored inside the patch, yet valid.
    config = _dsr_config(
        tmp_path,
        "[dict(type='RandomFlip', prob=1.0), dict(type='PackDenseInputs')]",
    )
    code, _, report, checks = _run(tool, tmp_path, [config], capsys)
    assert code == 0
    assert checks['intrinsics']['status'] == 'OK'
    assert all(s['meta']['crop_box'] is None for s in report['samples'])
    full = SynthRoomsDataset(split='val', num_samples=1, img_shape=SHAPE)
    cx = full.cam_intrinsics[2]
    sample = report['samples'][1]  # patch (0, 16), flipped
    assert sample['meta']['cam_intrinsics'][2] == pytest.approx(15 - (cx - 16))
    # A principal point beyond the full image fails: 24 x 32 frame, 16 x
    # 16 patches -> cx in -16.5..31.5.
    stats = dict(
        name='p',
        img=dict(shape=[16, 16, 3]),
        meta=dict(
            cam_intrinsics=[30.0, 30.0, 40.0, 8.0],
            patch_box=[0, 16, 16, 16],
            crop_box=None,
            source_shape=[24, 32],
        ),
    )
    assert tool.principal_point_bounds(stats)[0] == (-16.5, 31.5)
    check = tool.check_intrinsics([stats])
    assert check.status == 'FAIL'
    assert 'cx must lie in -16.5..31.5' in check.notes[0]
    # Crops of an unknown image are not bounded.
    stats['meta'].update(patch_box=None, crop_box=[0, 16, 16, 32])
    assert tool.principal_point_bounds(stats) is None
    assert tool.check_intrinsics([stats]).status == 'OK'


def test_lr_depth_in_metres_and_lost_normalisation(tool, tmp_path, capsys):
    # No NormalizeDepth: lr_depth in metres, medians agree with gt_depth.
    config = _dsr_config(tmp_path, "[dict(type='PackDenseInputs')]")
    code, _, _, checks = _run(tool, tmp_path, [config], capsys)
    assert code == 0
    assert checks['lr/hr']['status'] == 'OK'
    assert checks['lr/hr']['message'].endswith(' m')
    # Normalised, but the packing drops depth_norm_min / depth_norm_max.
    config = _dsr_config(
        tmp_path,
        "[dict(type='NormalizeDepth'), dict(type='PackDenseInputs', "
        "meta_keys=('img_path', 'scale_factor', 'cam_intrinsics', "
        "'patch_box'))]",
    )
    code, _, _, checks = _run(tool, tmp_path, [config], capsys)
    assert code == 0
    assert checks['lr/hr']['status'] == 'WARN'
    assert 'no depth_norm_max' in checks['lr/hr']['notes'][0]
    # Packing without scale_factor.
    config = _dsr_config(
        tmp_path,
        "[dict(type='PackDenseInputs', meta_keys=('img_path',))]",
    )
    _, _, _, checks = _run(tool, tmp_path, [config], capsys)
    assert checks['lr/hr']['status'] == 'WARN'
    assert 'no scale_factor' in checks['lr/hr']['notes'][0]


def test_every_sample_failing(tool, tmp_path, capsys):
    path = tmp_path / 'crop_too_big.py'
    path.write_text(
        'val_dataloader = dict(dataset=dict(type="SynthRoomsDataset", '
        f'split="val", num_samples=2, img_shape={SHAPE}, '
        "pipeline=[dict(type='RandomCrop', crop_size=(48, 64))]))\n"
    )
    code, _, report, checks = _run(tool, tmp_path, [str(path)], capsys)
    assert code == 1
    assert checks.pop('load')['message'] == '2/2 samples raised an error'
    assert {c['message'] for c in checks.values()} == {'no sample loaded'}
    assert 'synthrooms/val/000001' in report['errors'][1]['name']
    assert '(48, 64)' in report['errors'][1]['error']


def test_build_error_exits_non_zero(tool, tmp_path, capsys):
    path = tmp_path / 'bad.py'
    path.write_text(
        'val_dataloader = dict(dataset=dict(type="CheckDatasetFileList", '
        f'ann_file={str(tmp_path / "nope.json")!r}))\n'
    )
    out = tmp_path / 'report.json'
    assert tool.main([str(path), '--out', str(out)]) == 1
    assert capsys.readouterr().out.startswith('FAIL build: cannot build')
    report = json.loads(out.read_text())
    assert report['failed'] is True
    assert 'nope.json' in report['error']
    assert tool.main([str(path), '--split', 'test']) == 1
    assert 'has no `test_dataloader.dataset`' in capsys.readouterr().out


# ------------------------------------------------ dataset configs on fixtures

CONFIG_DIR = ROOT / 'configs' / '_base_' / 'datasets'
DEPTH = ('depth', 'valid')


def _load_converter(name):
    spec = importlib.util.spec_from_file_location(
        f'{name}_converter',
        ROOT / 'tools' / 'dataset_converters' / f'{name}.py',
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def fixtures(tmp_path_factory):
    """Every dataset's fixture, written once in its original format."""
    from mmdepthsr.testing.cityscapes import write_cityscapes
    from mmdepthsr.testing.kitti import write_kitti_dataset
    from mmdepthsr.testing.middlebury import write_middlebury2005_scenes
    from mmdepthsr.testing.nyu import (
        write_nyu_labeled_layout,
        write_nyu_sync_layout,
    )

    root = tmp_path_factory.mktemp('dataset_fixtures')
    out = dict(
        nyu_labeled=write_nyu_labeled_layout(str(root / 'nyu_labeled')),
        nyu_sync=write_nyu_sync_layout(str(root / 'nyu')),
        # KBCrop needs the real KITTI frame sizes.
        kitti=write_kitti_dataset(
            str(root / 'kitti'),
            image_shapes={
                '2011_09_26': (375, 1242),
                '2011_09_28': (370, 1224),
            },
        ),
        cityscapes=write_cityscapes(str(root / 'cityscapes')),
    )
    # Middlebury: the download layout, converted by its converter (300 x
    # 300 -> 256 x 256, large enough for the training crop).
    write_middlebury2005_scenes(str(root / 'mb_src'), shape=(300, 300))
    converter = _load_converter('middlebury')
    middlebury = str(root / 'middlebury')
    records = {}
    for split, scenes in (('test', ['Art', 'Books']), ('train', ['Art'])):
        records.update(
            converter.main(
                [
                    str(root / 'mb_src'),
                    middlebury,
                    '--split',
                    split,
                    '--scenes',
                    *scenes,
                ]
            )
        )
    out['middlebury'] = dict(root=middlebury, records=records)
    return out


#: (config, fixture, splits, checks expected OK; all others SKIP, except
#: the WARNs listed).
DATASET_CASES = [
    ('nyu_labeled_depth', 'nyu_labeled', ('val', 'train'), DEPTH, ()),
    ('nyu_labeled_seg13', 'nyu_labeled', ('val', 'train'), ('labels',), ()),
    ('nyu_labeled_seg40', 'nyu_labeled', ('val', 'train'), ('labels',), ()),
    ('nyu_labeled_normal', 'nyu_labeled', ('val', 'train'), ('normals',), ()),
    # Random crops and flips: the principal point may leave the crop.
    ('nyu_dsr_x4', 'nyu_labeled', ('val', 'train'), (*DEPTH, 'lr/hr'), ()),
    ('nyu_dsr_x8', 'nyu_labeled', ('val',), (*DEPTH, 'lr/hr'), ()),
    ('nyu_dsr_x16', 'nyu_labeled', ('val', 'train'), (*DEPTH, 'lr/hr'), ()),
    ('nyu_sync', 'nyu_sync', ('val', 'train'), DEPTH, ()),
    ('nyu_eigen2014', 'nyu_sync', ('val', 'train'), DEPTH, ()),
    ('kitti_eigen2014', 'kitti', ('val', 'train'), DEPTH, ()),
    ('kitti_eigen_annotated', 'kitti', ('val', 'train'), DEPTH, ()),
    ('kitti_eigen_annotated_kbcrop_gt', 'kitti', ('val',), DEPTH, ()),
    ('kitti_eigen_velodyne', 'kitti', ('val', 'train'), DEPTH, ()),
    ('kitti_eigen_velodyne_cap50', 'kitti', ('val',), DEPTH, ()),
    (
        'cityscapes_depth_seg19_256x512',
        'cityscapes',
        ('val', 'train'),
        (*DEPTH, 'labels'),
        (),
    ),
    (
        'cityscapes_depth_seg7_256x512',
        'cityscapes',
        ('val',),
        (*DEPTH, 'labels'),
        (),
    ),
    ('cityscapes_depth_1024x2048', 'cityscapes', ('val', 'train'), DEPTH, ()),
    # 8-bit disparity without a camera: no intrinsics (a WARN).
    *[
        (
            f'middlebury2005_dsr_x{s}',
            'middlebury',
            ('val', 'train') if s == 4 else ('val',),
            (*DEPTH, 'lr/hr'),
            ('intrinsics',),
        )
        for s in (2, 4, 8, 16)
    ],
]


def _cases():
    for config, fixture, splits, ok, warn in DATASET_CASES:
        for split in splits:
            marks = [pytest.mark.slow] if split == 'train' else []
            yield pytest.param(
                config,
                fixture,
                split,
                ok,
                warn,
                id=f'{config}-{split}',
                marks=marks,
            )


def _data_root(fixture):
    return fixture['root']


def _check_values(config, split, report, checks, data):
    """Hand-checked numbers of the fixtures, where they are simple."""
    samples = report['samples']
    if config == 'nyu_labeled_depth' and split == 'val':
        frames = [data['frames'][i] for i in data['splits']['test']]
        for sample, frame in zip(samples, frames):
            mm = np.round(frame['depth'] * 1000).astype(np.uint16)
            metres = mm.astype(np.float32) / np.float32(1000)
            assert sample['gt_depth']['median'] == pytest.approx(
                float(np.median(metres[mm > 0]))
            )
    if config.startswith('nyu_labeled_seg') and split == 'val':
        key = 'labels13' if config.endswith('13') else 'labels40'
        ids = set()
        for i in data['splits']['test']:
            labels = data['frames'][i][key]
            ids |= {int(v) - 1 for v in np.unique(labels[labels > 0])}
        assert checks['labels']['values']['ids'] == sorted(ids)
        assert checks['labels']['values']['num_classes'] == int(config[-2:])
    if config.startswith('nyu_dsr'):
        factor = config.rsplit('x', 1)[1]
        assert checks['lr/hr']['message'].startswith(
            f'x{factor} = scale_factor; normalised in {len(samples)}/'
        )
    if config == 'kitti_eigen_annotated' and split == 'val':
        by_path = {f['img_path']: f for f in data['frames']}
        for sample in samples:
            png = by_path[sample['name']]['gt_png']
            assert sample['gt_depth']['median'] == pytest.approx(
                float(np.median(png[png > 0] / 256.0)), rel=1e-6
            )
    if config.startswith('kitti_eigen_velodyne'):
        # Projected LiDAR: sparse.
        assert checks['valid']['values']['mean'] < 0.05
    if config.startswith('cityscapes') and 'seg' in config:
        num = 19 if 'seg19' in config else 7
        assert checks['labels']['values']['num_classes'] == num
        assert max(checks['labels']['values']['ids']) < num
    if config.startswith('middlebury') and split == 'val':
        ranges = [data['records'][s]['value_range'] for s in ('Art', 'Books')]
        values = checks['depth']['values']
        assert values['min'] == min(r[0] for r in ranges)
        assert values['max'] == max(r[1] for r in ranges)
        assert values['unit'].startswith('8-bit disparity')


@pytest.mark.parametrize('config,fixture,split,ok,warn', list(_cases()))
def test_dataset_configs_on_fixtures(
    tool, fixtures, tmp_path, capsys, config, fixture, split, ok, warn
):
    np.random.seed(0)  # the training pipelines crop and flip at random
    data = fixtures[fixture]
    path = str(CONFIG_DIR / f'{config}.py')
    option = f'{split}_dataloader.dataset.data_root={_data_root(data)}'
    code, text, report, checks = _run(
        tool,
        tmp_path,
        [path, '--split', split, '--cfg-options', option],
        capsys,
    )
    assert code == 0, text
    expected = {
        name: 'OK'
        if name in ('load', 'image', 'sizes', *ok)
        else 'WARN'
        if name in warn
        else 'SKIP'
        for name in tool.CHECKS
    }
    if 'intrinsics' not in warn:
        expected['intrinsics'] = 'OK'
    assert _status(checks) == expected, text
    assert len(text.strip().splitlines()) <= 40
    assert report['length'] == len(report['indices']) > 0
    _check_values(config, split, report, checks, data)
    # browse_dataset draws the same samples.
    browse = _load_tool('browse_dataset')
    out_dir = tmp_path / 'panels'
    argv = [path, '--out-dir', str(out_dir), '--split', split, '--num', '2']
    assert browse.main([*argv, '--cfg-options', option]) == 0
    panels = sorted(p.name for p in out_dir.iterdir())
    assert len(panels) == min(2, report['length'])
    first = Path(report['samples'][0]['name']).stem
    assert any(p.startswith(first) for p in panels)
