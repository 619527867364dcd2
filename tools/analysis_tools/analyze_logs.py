"""Plot learning curves and report iteration times from training logs.

Usage::

    python tools/analysis_tools/analyze_logs.py plot_curve RUN [RUN ...] \
        [--keys loss ...] [--mode train|val] [--legend L ...] \
        [--title T] [--log-scale] [--out curves.png] [--all-runs]
    python tools/analysis_tools/analyze_logs.py cal_train_time RUN [RUN ...] \
        [--include-outliers] [--all-runs]

A ``RUN`` is one of:

- a work dir: its latest timestamped run that has a training log
  (``--all-runs``: every such run, oldest first);
- a timestamp dir ``<work_dir>/<timestamp>``;
- a JSON log file, e.g. ``<work_dir>/<timestamp>/vis_data/<timestamp>.json``
  or ``vis_data/scalars.json``.

The logs are MMEngine's JSON lines, one dict per logged step. Training lines
carry ``iter`` and ``step`` (the iteration) besides ``lr``, ``loss``, the
loss terms (``loss_sr``, ...), ``time`` and ``data_time``; validation lines
carry ``step`` (the iteration after which the validation ran) and the metric
keys (``rmse``, ``depth/abs_rel``, ...). Both modes log ``time`` and
``data_time``. Lines without ``step`` (a ``tools/test.py`` run) are skipped.
"""

import argparse
import json
import os
import os.path as osp
import re
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

MODES = ('train', 'val')
# Keys that place a line on the x axis rather than being plotted.
STEP_KEYS = ('iter', 'step', 'epoch')
# MMEngine names run folders after the start time: 20240131_235959.
TIMESTAMP = re.compile(r'^\d{8}_\d{6}$')

Series = Tuple[List[int], List[float]]
Log = Dict[str, Dict[str, Series]]


def load_json_log(path: str) -> Log:
    """Parse an MMEngine JSON log into per-mode series.

    Args:
        path (str): A JSON-lines log (``vis_data/<timestamp>.json`` or
            ``vis_data/scalars.json``).

    Returns:
        dict: ``{mode: {key: (steps, values)}}`` for the modes ``'train'``
        (lines with ``iter``) and ``'val'`` (lines with ``step`` only),
        both always present. ``steps`` are the lines' ``step`` values
        (iterations) and ``values`` the key's values, in file order; a key
        absent from a line has no point there.

    Raises:
        FileNotFoundError: When ``path`` does not exist.
        ValueError: When a line is not a JSON object, or no line has a
            ``step`` (not a training log).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no such log file')
    log: Log = {mode: {} for mode in MODES}
    with open(path) as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(
                    f'{path}, line {line_no}: not a JSON line ({err.msg}); '
                    'expected an MMEngine JSON log (vis_data/*.json)'
                ) from None
            if not isinstance(record, dict):
                raise ValueError(
                    f'{path}, line {line_no}: expected a JSON object, got '
                    f'{type(record).__name__}'
                )
            if 'step' not in record:
                continue
            series = log['train' if 'iter' in record else 'val']
            step = int(record['step'])
            for key, value in record.items():
                if key in STEP_KEYS or not isinstance(value, (int, float)):
                    continue
                steps, values = series.setdefault(key, ([], []))
                steps.append(step)
                values.append(float(value))
    if not any(log.values()):
        raise ValueError(
            f'{path} is not an MMEngine training log: no line has a '
            "'step' (a tools/test.py log, or another kind of JSON file?)"
        )
    return log


def _run_log_file(run_dir: str) -> Optional[str]:
    """The JSON log of a timestamp dir, or None (e.g. a test run's)."""
    vis_data = osp.join(run_dir, 'vis_data')
    timestamp = osp.basename(osp.normpath(run_dir))
    for name in (f'{timestamp}.json', 'scalars.json'):
        if osp.isfile(osp.join(vis_data, name)):
            return osp.join(vis_data, name)
    return None


def find_json_logs(path: str, all_runs: bool = False) -> List[str]:
    """Resolve a run argument to its JSON log files.

    Args:
        path (str): A JSON log file, a timestamp dir (with ``vis_data/``)
            or a work dir holding timestamp dirs.
        all_runs (bool): For a work dir, return the log of every
            timestamped run instead of the latest. Defaults to False.

    Returns:
        list[str]: The log files, oldest run first.

    Raises:
        FileNotFoundError: When ``path`` does not exist or holds no log.
    """
    if osp.isfile(path):
        return [path]
    if not osp.isdir(path):
        raise FileNotFoundError(f'{path}: no such file or directory')
    if osp.isdir(osp.join(path, 'vis_data')):
        log_file = _run_log_file(path)
        if log_file is None:
            raise FileNotFoundError(
                f'{path} has no training log: expected vis_data/'
                f'{osp.basename(osp.normpath(path))}.json or '
                'vis_data/scalars.json'
            )
        return [log_file]
    runs = sorted(
        name
        for name in os.listdir(path)
        if TIMESTAMP.match(name) and osp.isdir(osp.join(path, name))
    )
    log_files = [
        log_file
        for log_file in (_run_log_file(osp.join(path, name)) for name in runs)
        if log_file is not None
    ]
    if not log_files:
        raise FileNotFoundError(
            f'{path} holds no run with a training log (expected '
            '<timestamp>/vis_data/<timestamp>.json)'
        )
    return log_files if all_runs else log_files[-1:]


def run_label(log_file: str, with_timestamp: bool = False) -> str:
    """Legend name of a run: its work dir's name, or the file's name.

    Args:
        log_file (str): A JSON log file.
        with_timestamp (bool): Append ``/<timestamp>`` for a log inside
            ``<work_dir>/<timestamp>/vis_data/``. Defaults to False.

    Returns:
        str: ``<work_dir name>`` (or ``<work_dir name>/<timestamp>``) for a
        log in the standard layout, else the file name without ``.json``.
    """
    vis_data = osp.dirname(osp.abspath(log_file))
    run_dir = osp.dirname(vis_data)
    timestamp = osp.basename(run_dir)
    if osp.basename(vis_data) == 'vis_data' and TIMESTAMP.match(timestamp):
        name = osp.basename(osp.dirname(run_dir))
        return f'{name}/{timestamp}' if with_timestamp else name
    return osp.splitext(osp.basename(log_file))[0]


def collect_runs(
    paths: Sequence[str], all_runs: bool = False
) -> List[Tuple[str, str]]:
    """``(label, log file)`` of every run named by ``paths``, in order."""
    runs = []
    for path in paths:
        log_files = find_json_logs(path, all_runs)
        for log_file in log_files:
            runs.append((run_label(log_file, len(log_files) > 1), log_file))
    return runs


def _available(log: Log) -> str:
    return '; '.join(
        f'{mode} keys: {", ".join(sorted(log[mode])) or "(none)"}'
        for mode in MODES
    )


def get_series(
    log: Log, key: str, mode: Optional[str] = None, name: str = 'the log'
) -> Tuple[str, Series]:
    """One key's series, with the mode found from the key when not given.

    Args:
        log (dict): A log from :func:`load_json_log`.
        key (str): A logged key (``loss``, ``loss_sr``, ``rmse``, ...).
        mode (str, optional): ``'train'`` or ``'val'``. Defaults to None:
            training when the key is logged in training (``time`` and
            ``data_time`` are logged in both), else validation.
        name (str): The log's file, for the error message.

    Returns:
        tuple: ``(mode, (steps, values))``.

    Raises:
        ValueError: When the key is not logged (in ``mode``); the message
            lists the available keys.
    """
    modes = (mode,) if mode else MODES
    for candidate in modes:
        if key in log[candidate]:
            return candidate, log[candidate][key]
    where = f' in {mode} lines' if mode else ''
    raise ValueError(
        f'{key!r} is not logged{where} in {name}; {_available(log)}'
    )


def plot_curve(
    runs: Sequence[Tuple[str, str]],
    keys: Sequence[str] = ('loss',),
    mode: Optional[str] = None,
    legend: Optional[Sequence[str]] = None,
    title: Optional[str] = None,
    log_scale: bool = False,
) -> Figure:
    """Plot keys of one or several runs against iterations.

    One line per run and key (runs outer, keys inner). Validation series
    have a marker on each point, as they are sparse.

    Args:
        runs (Sequence[tuple[str, str]]): ``(name, log file)`` pairs, as
            returned by :func:`collect_runs`; ``name`` labels the run.
        keys (Sequence[str]): Logged keys. Defaults to ``('loss',)``.
        mode (str, optional): Force ``'train'`` or ``'val'`` for every key.
            Defaults to None (per key, see :func:`get_series`).
        legend (Sequence[str], optional): One label per line, in the plot
            order. Defaults to None: the key (``rmse (val)`` for a
            validation series), prefixed by the run name when there are
            several runs (the run name alone for a single key).
        title (str, optional): Axes title. Defaults to None.
        log_scale (bool): Logarithmic y axis. Defaults to False.

    Returns:
        matplotlib.figure.Figure: The figure (Agg canvas), one axes.

    Raises:
        ValueError: On a file that is not a log (see
            :func:`load_json_log`), a key not logged by a run, a legend of
            the wrong length, or a non-positive value with ``log_scale``.
    """
    num_lines = len(runs) * len(keys)
    if legend is not None and len(legend) != num_lines:
        raise ValueError(
            f'--legend needs {num_lines} labels ({len(runs)} run(s) x '
            f'{len(keys)} key(s)), got {len(legend)}'
        )
    fig = Figure(figsize=(8, 5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for run_idx, (name, log_file) in enumerate(runs):
        log = load_json_log(log_file)
        for key_idx, key in enumerate(keys):
            key_mode, (steps, values) = get_series(log, key, mode, log_file)
            if log_scale and min(values) <= 0:
                raise ValueError(
                    f'{key!r} in {log_file} has values <= 0 '
                    f'(min {min(values):g}); --log-scale needs positive '
                    'values'
                )
            if legend is not None:
                label = legend[run_idx * len(keys) + key_idx]
            else:
                label = key if key_mode == 'train' else f'{key} (val)'
                if len(runs) > 1:
                    label = name if len(keys) == 1 else f'{name}: {label}'
            ax.plot(
                steps,
                values,
                label=label,
                marker='o' if key_mode == 'val' else None,
            )
    ax.set_xlabel('iter')
    ax.set_ylabel(keys[0] if len(keys) == 1 else 'value')
    if log_scale:
        ax.set_yscale('log')
    if title:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def cal_train_time(
    log_file: str, include_outliers: bool = False
) -> Dict[str, float]:
    """Statistics of the logged training ``time``.

    Each logged ``time`` is MMEngine's mean seconds per iteration over the
    log processor's window (the last 10 iterations by default), logged
    every ``LoggerHook.interval`` iterations.

    Args:
        log_file (str): A JSON log file.
        include_outliers (bool): Keep the first logged value, which holds
            the start-up cost (data workers, first CUDA calls). Defaults to
            False.

    Returns:
        dict: ``average``, ``std`` (seconds), ``slowest_iter``,
        ``slowest``, ``fastest_iter``, ``fastest`` and ``num`` (values
        used).

    Raises:
        ValueError: When the file is not a log, has no training ``time``,
            or only one value and ``include_outliers`` is False.
    """
    log = load_json_log(log_file)
    _, (steps, values) = get_series(log, 'time', 'train', log_file)
    if not include_outliers:
        if len(values) < 2:
            raise ValueError(
                f'{log_file} has one logged training time; the first one is '
                'left out as an outlier unless --include-outliers is given'
            )
        steps, values = steps[1:], values[1:]
    times = np.asarray(values)
    slowest, fastest = int(times.argmax()), int(times.argmin())
    return dict(
        average=float(times.mean()),
        std=float(times.std()),
        slowest_iter=steps[slowest],
        slowest=float(times[slowest]),
        fastest_iter=steps[fastest],
        fastest=float(times[fastest]),
        num=len(times),
    )


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Plot learning curves or report iteration times of '
        'MMEngine training logs'
    )
    sub = parser.add_subparsers(dest='task', required=True)

    def add_runs(task_parser):
        task_parser.add_argument(
            'runs',
            nargs='+',
            help='work dirs, timestamp dirs or JSON log files',
        )
        task_parser.add_argument(
            '--all-runs',
            action='store_true',
            help='use every timestamped run of a work dir, not the latest',
        )

    curve = sub.add_parser('plot_curve', help='plot keys against iterations')
    add_runs(curve)
    curve.add_argument(
        '--keys', nargs='+', default=['loss'], help='logged keys to plot'
    )
    curve.add_argument(
        '--mode',
        choices=MODES,
        help='read the keys from training or validation lines '
        '(default: training if the key is logged there, else validation)',
    )
    curve.add_argument(
        '--legend', nargs='+', help='one label per run and key (runs outer)'
    )
    curve.add_argument('--title', help='plot title')
    curve.add_argument(
        '--log-scale', action='store_true', help='logarithmic y axis'
    )
    curve.add_argument(
        '--out', default='curves.png', help='output PNG (default: %(default)s)'
    )

    timing = sub.add_parser(
        'cal_train_time', help='average, slowest and fastest iteration time'
    )
    add_runs(timing)
    timing.add_argument(
        '--include-outliers',
        action='store_true',
        help='keep the first logged time (start-up cost)',
    )
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    try:
        runs = collect_runs(args.runs, args.all_runs)
        if args.task == 'plot_curve':
            fig = plot_curve(
                runs,
                args.keys,
                args.mode,
                args.legend,
                args.title,
                args.log_scale,
            )
            out_dir = osp.dirname(osp.abspath(args.out))
            os.makedirs(out_dir, exist_ok=True)
            fig.savefig(args.out)
            print(f'Saved {args.out}')
            return 0
        for label, log_file in runs:
            stats = cal_train_time(log_file, args.include_outliers)
            print(
                f'{label} ({log_file}), {stats["num"]} logged times:\n'
                f'  average {stats["average"]:.4f} s/iter '
                f'(std {stats["std"]:.4f})\n'
                f'  slowest {stats["slowest"]:.4f} s/iter at iter '
                f'{stats["slowest_iter"]}\n'
                f'  fastest {stats["fastest"]:.4f} s/iter at iter '
                f'{stats["fastest_iter"]}'
            )
    except (FileNotFoundError, ValueError) as err:
        sys.exit(f'ERROR: {err}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
