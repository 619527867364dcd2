"""tools/analysis_tools/guide_alignment.py: the offset of the colour edges
from the depth edges, on frames whose offset is known."""

import importlib.util
import json
import os.path as osp

import numpy as np
import pytest
from _analysis_configs import ROOT

from mmdepthsr.datasets.transforms.domain import translate_image
from mmdepthsr.testing.dsr_benchmarks import write_dsr_benchmark_set


def _tool():
    path = osp.join(ROOT, 'tools', 'analysis_tools', 'guide_alignment.py')
    spec = importlib.util.spec_from_file_location('guide_alignment', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _scene(seed, shape=(64, 80)):
    """A disparity map of five discs before a plane and a colour image whose
    edges follow it, with a faint texture that has no depth edge."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]]
    depth = np.full(shape, 60, np.int64)
    rgb = np.empty(shape + (3,), np.float64)
    rgb[:] = rng.uniform(60, 120, 3)
    for k in range(5):
        centre = rng.uniform(12, np.array(shape) - 12)
        disc = np.hypot(rows - centre[0], cols - centre[1]) < rng.uniform(5, 9)
        depth[disc] = 100 + 30 * k
        rgb[disc] = rng.uniform(0, 255, 3)
    rgb += rng.uniform(-3, 3, rgb.shape)
    return depth, np.clip(rgb, 0, 255).astype(np.uint8)


@pytest.mark.parametrize('offset', [(0, 0), (2, -1), (-3, 3), (0, 4)])
def test_estimate_recovers_a_known_offset(offset):
    estimate = _tool().estimate_guide_shift
    for seed in range(4):
        depth, rgb = _scene(seed)
        dy, dx, peak = estimate(
            translate_image(rgb, *offset), depth, max_shift=5
        )
        assert (dy, dx) == offset
        assert peak >= 1.0
        if offset != (0, 0):
            assert peak > 1.5  # the edges line up only at the offset


def test_estimate_ignores_holes_and_checks_sizes():
    estimate = _tool().estimate_guide_shift
    depth, rgb = _scene(5)
    holed = depth.copy()
    holed[10:14, 30:40] = 0  # a hole: its rim is not a depth edge
    assert estimate(translate_image(rgb, 1, 2), holed)[:2] == (1, 2)
    # no depth edge at all: no evidence, (0, 0) and a peak of 1
    flat = np.full_like(depth, 80)
    assert estimate(rgb, flat, max_shift=2) == (0, 0, 1.0)
    with pytest.raises(ValueError, match='differ in size'):
        estimate(rgb[:-1], depth)
    with pytest.raises(ValueError, match='too small'):
        estimate(rgb[:10, :10], depth[:10, :10], max_shift=6)


def test_tool_reports_offsets_per_set(tmp_path, capsys):
    root = str(tmp_path / 'sets')
    offsets = [(0, 0), (2, -1), (-1, 0)]
    scenes = [_scene(seed) for seed in range(3)]
    write_dsr_benchmark_set(
        root,
        'Middlebury',
        [d for d, _ in scenes],
        rgbs=[
            translate_image(rgb, *o) for (_, rgb), o in zip(scenes, offsets)
        ],
    )
    write_dsr_benchmark_set(
        root, 'Lu', [scenes[0][0]], rgbs=[translate_image(scenes[0][1], 3, 0)]
    )
    out = str(tmp_path / 'alignment.json')
    _tool().main(
        ['--data-root', root, '--sets', 'middlebury', 'lu', '--partial-sets']
        + ['--max-shift', '4', '--out', out]
    )
    assert 'Guide offsets' in capsys.readouterr().out
    with open(out) as f:
        results = {r['set']: r for r in json.load(f)['results']}
    middlebury = results['middlebury']
    assert [(f['dy'], f['dx']) for f in middlebury['per_frame']] == offsets
    assert middlebury['frames'] == 3 and middlebury['aligned'] == 1
    assert middlebury['within_1px'] == 2
    assert middlebury['median_length'] == pytest.approx(1.0)
    assert middlebury['max_length'] == pytest.approx(np.hypot(2, 1))
    assert (
        results['lu']['per_frame'][0]['dy'],
        results['lu']['per_frame'][0]['dx'],
    ) == (3, 0)
