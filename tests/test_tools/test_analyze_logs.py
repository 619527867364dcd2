"""tools/analysis_tools/analyze_logs.py: parse MMEngine JSON logs, plot
learning curves, report iteration times."""

import importlib.util
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest
from matplotlib.image import imread

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'analysis_tools', 'analyze_logs.py')
TOYS_DIR = osp.join(ROOT, 'tests', 'test_engine')
if TOYS_DIR not in sys.path:
    sys.path.insert(0, TOYS_DIR)

import _engine_toys  # noqa: E402

# A log as MMEngine's LoggerHook writes it (key order included) for a run
# logging every 10 iterations and validating at 20 and 30.
TRAIN_LINES = [
    dict(
        lr=0.01,
        data_time=0.5,
        loss=1.0,
        loss_sr=0.75,
        loss_aux=0.25,
        time=0.9,
        iter=10,
        memory=120,
        step=10,
    ),
    dict(
        lr=0.008,
        data_time=0.01,
        loss=0.5,
        loss_sr=0.375,
        loss_aux=0.125,
        time=0.2,
        iter=20,
        memory=120,
        step=20,
    ),
    dict(
        lr=0.006,
        data_time=0.02,
        loss=0.25,
        loss_sr=0.2,
        loss_aux=0.05,
        time=0.3,
        iter=30,
        memory=121,
        step=30,
    ),
]
VAL_LINES = [
    {
        'rmse': 12.5,
        'depth/abs_rel': 0.2,
        'data_time': 0.004,
        'time': 0.05,
        'step': 20,
    },
    {
        'rmse': 10.0,
        'depth/abs_rel': 0.15,
        'data_time': 0.003,
        'time': 0.04,
        'step': 30,
    },
]


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('_analyze_logs', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write_run(work_dir, timestamp, lines):
    """``work_dir/timestamp/vis_data/timestamp.json``, MMEngine's layout."""
    vis_data = work_dir / timestamp / 'vis_data'
    vis_data.mkdir(parents=True)
    log_file = vis_data / f'{timestamp}.json'
    log_file.write_text(''.join(json.dumps(line) + '\n' for line in lines))
    return str(log_file)


def _lines(scale=1.0):
    """Training lines interleaved with validation lines, as logged; the
    losses multiplied by ``scale``."""
    train = [
        {k: v * scale if k.startswith('loss') else v for k, v in line.items()}
        for line in TRAIN_LINES
    ]
    return [train[0], train[1], VAL_LINES[0], train[2], VAL_LINES[1]]


@pytest.fixture
def hand_log(tmp_path):
    return _write_run(tmp_path / 'run_a', '20240101_120000', _lines())


@pytest.fixture(scope='module')
def real_run(tmp_path_factory):
    """Work dir of a 6-iteration toy training by tools/train.py, logging
    every iteration and validating at iterations 3 and 6."""
    tmp = tmp_path_factory.mktemp('real_run')
    config = tmp / 'toy.py'
    config.write_text(_engine_toys.toy_config_text(max_iters=6, interval=3))
    work_dir = tmp / 'work_dir'
    env = dict(
        os.environ,
        PYTHONPATH=osp.pathsep.join([ROOT, TOYS_DIR]),
        CUDA_VISIBLE_DEVICES='',
        OMP_NUM_THREADS='1',
    )
    result = subprocess.run(
        [
            sys.executable,
            osp.join(ROOT, 'tools', 'train.py'),
            str(config),
            '--work-dir',
            str(work_dir),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return work_dir


def test_real_run_log_is_parsed_by_mode(tool, real_run):
    (log_file,) = tool.find_json_logs(str(real_run))
    timestamp = osp.basename(osp.dirname(osp.dirname(log_file)))
    assert log_file == osp.join(
        str(real_run), timestamp, 'vis_data', f'{timestamp}.json'
    )
    log = tool.load_json_log(log_file)
    assert set(log['train']) == {'lr', 'data_time', 'loss', 'loss_mse', 'time'}
    assert set(log['val']) == {'mse', 'data_time', 'time'}
    for key in log['train']:
        assert log['train'][key][0] == [1, 2, 3, 4, 5, 6]
    for key in log['val']:
        assert log['val'][key][0] == [3, 6]
    with open(log_file) as f:
        records = [json.loads(line) for line in f]
    assert log['train']['loss'][1] == [
        r['loss'] for r in records if 'iter' in r
    ]
    assert log['val']['mse'][1] == [r['mse'] for r in records if 'mse' in r]
    # The toy model has one loss term: the total is that term.
    assert log['train']['loss'][1] == log['train']['loss_mse'][1]
    # LocalVisBackend's scalars.json holds the same lines.
    scalars = osp.join(osp.dirname(log_file), 'scalars.json')
    assert tool.load_json_log(scalars) == log


def test_real_run_curves(tool, real_run):
    runs = tool.collect_runs([str(real_run)])
    assert runs[0][0] == 'work_dir'
    fig = tool.plot_curve(runs, ['loss', 'mse'])
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ['loss', 'mse (val)']
    assert list(ax.lines[0].get_xdata()) == [1, 2, 3, 4, 5, 6]
    assert list(ax.lines[1].get_xdata()) == [3, 6]


def test_hand_written_log_series_are_exact(tool, hand_log):
    log = tool.load_json_log(hand_log)
    assert log['train']['loss'] == ([10, 20, 30], [1.0, 0.5, 0.25])
    assert log['train']['loss_sr'] == ([10, 20, 30], [0.75, 0.375, 0.2])
    assert log['train']['lr'] == ([10, 20, 30], [0.01, 0.008, 0.006])
    assert log['train']['memory'] == ([10, 20, 30], [120.0, 120.0, 121.0])
    assert log['train']['time'] == ([10, 20, 30], [0.9, 0.2, 0.3])
    assert log['val']['rmse'] == ([20, 30], [12.5, 10.0])
    assert log['val']['depth/abs_rel'] == ([20, 30], [0.2, 0.15])
    assert log['val']['time'] == ([20, 30], [0.05, 0.04])
    # iter and step place the points; they are no series.
    assert not {'iter', 'step'} & (set(log['train']) | set(log['val']))


def test_mode_follows_the_key(tool, hand_log):
    log = tool.load_json_log(hand_log)
    assert tool.get_series(log, 'loss_aux')[0] == 'train'
    assert tool.get_series(log, 'depth/abs_rel')[0] == 'val'
    # Logged in both modes: training unless asked.
    assert tool.get_series(log, 'time') == ('train', log['train']['time'])
    assert tool.get_series(log, 'time', 'val') == (
        'val',
        ([20, 30], [0.05, 0.04]),
    )


def test_plot_curve_lines_labels_and_scale(tool, hand_log):
    fig = tool.plot_curve(
        [('run_a', hand_log)], ['loss', 'loss_sr', 'rmse'], title='x8'
    )
    ax = fig.axes[0]
    assert len(fig.axes) == 1
    assert [line.get_label() for line in ax.lines] == [
        'loss',
        'loss_sr',
        'rmse (val)',
    ]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        'loss',
        'loss_sr',
        'rmse (val)',
    ]
    assert list(ax.lines[0].get_xdata()) == [10, 20, 30]
    assert list(ax.lines[0].get_ydata()) == [1.0, 0.5, 0.25]
    assert list(ax.lines[2].get_xdata()) == [20, 30]
    assert list(ax.lines[2].get_ydata()) == [12.5, 10.0]
    # Validation points are marked, training curves are not.
    assert ax.lines[2].get_marker() == 'o'
    assert ax.lines[0].get_marker() in ('None', None, '')
    assert ax.get_yscale() == 'linear'
    assert ax.get_title() == 'x8'
    assert ax.get_xlabel() == 'iter'
    assert ax.get_ylabel() == 'value'

    ax = tool.plot_curve([('run_a', hand_log)], log_scale=True).axes[0]
    assert ax.get_yscale() == 'log'
    assert ax.get_ylabel() == 'loss'
    assert [line.get_label() for line in ax.lines] == ['loss']


def test_forced_val_mode(tool, hand_log):
    ax = tool.plot_curve([('a', hand_log)], ['time'], mode='val').axes[0]
    assert list(ax.lines[0].get_ydata()) == [0.05, 0.04]
    assert ax.lines[0].get_label() == 'time (val)'
    with pytest.raises(ValueError, match=r"'loss' is not logged in val"):
        tool.plot_curve([('a', hand_log)], ['loss'], mode='val')


def test_two_runs_on_one_plot(tool, tmp_path, hand_log):
    other = _write_run(tmp_path / 'run_b', '20240102_080000', _lines(2.0))
    runs = tool.collect_runs(
        [str(tmp_path / 'run_a'), str(tmp_path / 'run_b')]
    )
    assert runs == [('run_a', hand_log), ('run_b', other)]

    ax = tool.plot_curve(runs, ['loss']).axes[0]
    assert [line.get_label() for line in ax.lines] == ['run_a', 'run_b']
    assert list(ax.lines[1].get_ydata()) == [2.0, 1.0, 0.5]

    ax = tool.plot_curve(runs, ['loss', 'rmse']).axes[0]
    assert [line.get_label() for line in ax.lines] == [
        'run_a: loss',
        'run_a: rmse (val)',
        'run_b: loss',
        'run_b: rmse (val)',
    ]
    assert list(ax.lines[2].get_ydata()) == [2.0, 1.0, 0.5]

    legend = ['A loss', 'A rmse', 'B loss', 'B rmse']
    ax = tool.plot_curve(runs, ['loss', 'rmse'], legend=legend).axes[0]
    assert [line.get_label() for line in ax.lines] == legend
    assert list(ax.lines[3].get_ydata()) == [12.5, 10.0]
    with pytest.raises(ValueError, match=r'needs 4 labels .* got 2'):
        tool.plot_curve(runs, ['loss', 'rmse'], legend=['A', 'B'])


def test_work_dir_latest_or_all_runs(tool, tmp_path):
    work_dir = tmp_path / 'dsr_x8'
    old = _write_run(work_dir, '20240101_120000', _lines())
    new = _write_run(work_dir, '20240103_090000', _lines(0.5))
    # A tools/test.py run in the same work dir: no vis_data JSON log.
    (work_dir / '20240104_100000' / 'vis_data').mkdir(parents=True)
    (work_dir / '20240104_100000' / '20240104_100000.json').write_text(
        '{"rmse": 9.0, "time": 0.1}\n'
    )
    assert tool.find_json_logs(str(work_dir)) == [new]
    assert tool.find_json_logs(str(work_dir), all_runs=True) == [old, new]
    assert tool.collect_runs([str(work_dir)], all_runs=True) == [
        ('dsr_x8/20240101_120000', old),
        ('dsr_x8/20240103_090000', new),
    ]
    timestamp_dir = str(work_dir / '20240101_120000')
    assert tool.find_json_logs(timestamp_dir) == [old]
    assert tool.find_json_logs(old) == [old]
    # Without the timestamped log, vis_data/scalars.json is read.
    scalars = work_dir / '20240101_120000' / 'vis_data' / 'scalars.json'
    shutil.move(old, scalars)
    assert tool.find_json_logs(timestamp_dir) == [str(scalars)]
    assert tool.run_label(str(scalars)) == 'dsr_x8'
    plain = tmp_path / 'exported.json'
    shutil.copy(new, plain)
    assert tool.run_label(str(plain)) == 'exported'


def test_missing_key_names_the_file_and_lists_keys(tool, hand_log):
    with pytest.raises(ValueError) as err:
        tool.plot_curve([('run_a', hand_log)], ['loss', 'loss_seg'])
    message = str(err.value)
    assert "'loss_seg' is not logged in " + hand_log in message
    assert (
        'train keys: data_time, loss, loss_aux, loss_sr, lr, memory, time'
        in message
    )
    assert 'val keys: data_time, depth/abs_rel, rmse, time' in message


def test_not_a_log(tool, tmp_path):
    text = tmp_path / '20240101_120000.log'
    text.write_text('01/01 12:00:00 - mmengine - INFO - Iter(train) [10/30]\n')
    with pytest.raises(ValueError, match=r'20240101_120000\.log, line 1: not'):
        tool.load_json_log(str(text))
    # tools/test.py's results file: indented JSON.
    results = tmp_path / 'test_20240101_120000.json'
    results.write_text(json.dumps(dict(metrics=dict(rmse=9.0)), indent=2))
    with pytest.raises(
        ValueError, match=r'test_20240101_120000\.json, line 1'
    ):
        tool.load_json_log(str(results))
    # JSON lines without any step: a test run's log.
    test_log = tmp_path / 'test_run.json'
    test_log.write_text('{"rmse": 9.0, "time": 0.1}\n')
    with pytest.raises(ValueError, match=r'test_run\.json is not an MMEngine'):
        tool.load_json_log(str(test_log))
    listed = tmp_path / 'list.json'
    listed.write_text('[1, 2]\n')
    with pytest.raises(ValueError, match=r'list\.json, line 1: expected a'):
        tool.load_json_log(str(listed))
    with pytest.raises(FileNotFoundError, match='nowhere'):
        tool.find_json_logs(str(tmp_path / 'nowhere'))
    (tmp_path / 'empty_work_dir').mkdir()
    with pytest.raises(FileNotFoundError, match='empty_work_dir holds no run'):
        tool.find_json_logs(str(tmp_path / 'empty_work_dir'))
    (tmp_path / 'ts' / 'vis_data').mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match=r'ts has no training log'):
        tool.find_json_logs(str(tmp_path / 'ts'))


def test_log_scale_needs_positive_values(tool, tmp_path):
    lines = _lines()
    lines[1] = dict(lines[1], loss_aux=0.0)
    log_file = _write_run(tmp_path / 'run', '20240101_120000', lines)
    with pytest.raises(ValueError, match=r"'loss_aux' in .*\(min 0\)"):
        tool.plot_curve([('run', log_file)], ['loss_aux'], log_scale=True)


def test_cal_train_time(tool, hand_log):
    # Logged times 0.9 (iter 10, start-up), 0.2 (iter 20), 0.3 (iter 30).
    stats = tool.cal_train_time(hand_log)
    assert stats['num'] == 2
    assert stats['average'] == pytest.approx(0.25)
    assert stats['std'] == pytest.approx(0.05)
    assert (stats['slowest_iter'], stats['slowest']) == (30, 0.3)
    assert (stats['fastest_iter'], stats['fastest']) == (20, 0.2)
    stats = tool.cal_train_time(hand_log, include_outliers=True)
    assert stats['num'] == 3
    assert stats['average'] == pytest.approx(1.4 / 3)
    assert (stats['slowest_iter'], stats['slowest']) == (10, 0.9)


def test_cal_train_time_with_one_logged_time(tool, tmp_path):
    log_file = _write_run(tmp_path / 'run', '20240101_120000', _lines()[:1])
    with pytest.raises(ValueError, match='one logged training time'):
        tool.cal_train_time(log_file)
    assert tool.cal_train_time(log_file, True)['average'] == 0.9


def test_command_line(tool, tmp_path, hand_log, capsys):
    out = tmp_path / 'plots' / 'loss.png'
    tool.main(
        [
            'plot_curve',
            str(tmp_path / 'run_a'),
            '--keys',
            'loss',
            'rmse',
            '--log-scale',
            '--out',
            str(out),
        ]
    )
    # The default 8 x 5 inch figure at 100 dpi, RGBA.
    assert imread(str(out)).shape == (500, 800, 4)

    tool.main(['cal_train_time', hand_log])
    printed = capsys.readouterr().out
    assert 'average 0.2500 s/iter (std 0.0500)' in printed
    assert 'slowest 0.3000 s/iter at iter 30' in printed
    assert 'fastest 0.2000 s/iter at iter 20' in printed

    with pytest.raises(SystemExit) as err:
        tool.main(['plot_curve', hand_log, '--keys', 'loss_seg'])
    assert str(err.value).startswith(
        f"ERROR: 'loss_seg' is not logged in {hand_log}"
    )
