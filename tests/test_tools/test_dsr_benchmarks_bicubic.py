"""tools/test.py on the nine bicubic configs of the real DSR test sets
reproduces the bicubic numbers of the literature's protocol.

Needs the real Middlebury / Lu / RGB-D-D sets (never in the repository):
``$MMDEPTHSR_DSR_BENCHMARKS`` or ``../shared/data/dsr_benchmarks`` beside
the repository root; skipped without them.
"""

import glob
import json
import os.path as osp
import subprocess
import sys

import pytest

from mmdepthsr.testing.dsr_benchmarks import find_dsr_benchmarks

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DATA = find_dsr_benchmarks()

#: Bicubic RMSE under DCTNet's test protocol, computed with numpy + PIL
#: independently of the toolbox (grey levels; RGB-D-D in cm).
EXPECTED = {
    ('middlebury', 4): 2.281,
    ('middlebury', 8): 3.983,
    ('middlebury', 16): 6.374,
    ('lu', 4): 2.418,
    ('lu', 8): 4.538,
    ('lu', 16): 7.373,
    ('rgbdd', 4): 1.916,
    ('rgbdd', 8): 3.198,
    ('rgbdd', 16): 5.138,
}
NUM_PAIRS = dict(middlebury=30, lu=6, rgbdd=405)


@pytest.mark.slow
@pytest.mark.skipif(DATA is None, reason='real DSR test sets not present')
@pytest.mark.parametrize(
    'subset,scale', list(EXPECTED), ids=[f'{s}-x{k}' for s, k in EXPECTED]
)
def test_bicubic_reproduces_the_literature(tmp_path, subset, scale):
    config = osp.join(
        ROOT, 'configs', 'bicubic', f'bicubic_x{scale}_{subset}-dsr.py'
    )
    proc = subprocess.run(
        [
            sys.executable,
            osp.join(ROOT, 'tools', 'test.py'),
            config,
            'none',
            '--work-dir',
            str(tmp_path),
            '--cfg-options',
            f'test_dataloader.dataset.data_root={DATA}',
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (json_file,) = glob.glob(osp.join(str(tmp_path), 'test_*.json'))
    with open(json_file) as f:
        results = json.load(f)
    assert results['num_samples'] == NUM_PAIRS[subset]
    assert results['metrics']['rmse'] == pytest.approx(
        EXPECTED[(subset, scale)], abs=0.005
    )
    assert results['protocol']['input']['normalize'] == 'hr_minmax'
    assert results['protocol']['input']['scale_factor'] == scale
    metric = results['protocol']['SRMetric']
    assert metric['border'] == 0
    assert metric['unit'] == ('cm' if subset == 'rgbdd' else 'raw')
    assert metric['clip'] == (None if subset == 'rgbdd' else [0.0, 255.0])
