"""The python examples of docs/add_module.md run as written.

A fenced ``python`` block directly preceded by ``<!-- file: PATH -->`` is
written to ``PATH`` in a temporary folder laid out as the page's "Out of
the tree" section (``mmdepthsr/configs`` copied from the repository beside
``my_project/``); each config of the page is trained for 2 iterations
through ``tools/train.py`` and tested through ``tools/test.py`` in a
separate process with the page's ``PYTHONPATH``, only the data, batch and
schedule shrunk by ``--cfg-options``.

A fenced ``python`` block directly preceded by ``<!-- example: NAME -->``
belongs to example ``NAME``; the blocks of one example are joined in
document order and executed in a fresh namespace (with the project folder
on ``sys.path``), so the ``assert``s in the page are checked here.
Registrations and imports made by an example are undone afterwards, so the
examples can run in any order and more than once.
"""

import importlib.util
import json
import os
import pickle
import re
import runpy
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from mmdepthsr.models.heads import base_dense_head, registered_tasks
from mmdepthsr.registry import (
    BALANCERS,
    DATASETS,
    METRICS,
    MODELS,
    TRANSFORMS,
)

ROOT = Path(__file__).parents[2]
DOC = ROOT / 'docs' / 'add_module.md'

#: Every example of the page; a marker that is added, renamed or lost
#: fails ``test_the_page_marks_exactly_the_known_examples``.
EXAMPLES = (
    'loss',
    'own-data',
    'backbone',
    'model-from-parts',
    'add-a-head',
    'add-a-task',
    'add-a-balancer',
    'interaction-unit',
    'new-unit',
)

#: Every file of the page, relative to the folder holding the clone
#: (``mmdepthsr/``) and the project (``my_project/``).
FILES = (
    'mmdepthsr/configs/v3_fusion/'
    'v3-fusion-berhu_lightenc_1xb8-300it_synthrooms-dsr-x8.py',
    'my_project/my_project/npz_rooms.py',
    'my_project/make_npz_rooms.py',
    'my_project/my_project/random_gamma.py',
    'my_project/my_project/depth_within_metric.py',
    'my_project/configs/npz-rooms_lightenc-mde.py',
    'my_project/my_project/tiny_backbone.py',
    'my_project/configs/tiny-backbone-tower-head_synthrooms.py',
    'my_project/my_project/tower_depth_head.py',
)

_MARKER = re.compile(
    r'^[ \t]*<!-- (?:example|file): ([\w./-]+) -->', re.MULTILINE
)
_BLOCK = re.compile(
    r'^[ \t]*<!-- example: ([\w-]+) -->[ \t]*\n'
    r'([ \t]*)```python[ \t]*\n(.*?)^\2```[ \t]*$',
    re.MULTILINE | re.DOTALL,
)
_FILE = re.compile(
    r'^[ \t]*<!-- file: ([\w./-]+) -->[ \t]*\n'
    r'([ \t]*)```python[ \t]*\n(.*?)^\2```[ \t]*$',
    re.MULTILINE | re.DOTALL,
)


def extract_examples(text: str) -> dict:
    """``{name: code}``: the marked blocks of each example, dedented and
    joined in document order."""
    examples = {}
    for name, _, code in _BLOCK.findall(text):
        examples.setdefault(name, []).append(textwrap.dedent(code))
    return {name: '\n'.join(blocks) for name, blocks in examples.items()}


def extract_files(text: str) -> dict:
    """``{path: code}`` of the ``<!-- file: PATH -->`` blocks."""
    files = {}
    for path, _, code in _FILE.findall(text):
        assert path not in files, f'{path} is given twice'
        files[path] = textwrap.dedent(code)
    return files


def write_project(folder: Path) -> Path:
    """The page's layout in ``folder``: the repository's configs under
    ``mmdepthsr/``, every file block, an empty ``__init__.py`` in the
    package. Returns the project folder (what goes on PYTHONPATH)."""
    shutil.copytree(ROOT / 'configs', folder / 'mmdepthsr' / 'configs')
    for path, code in extract_files(DOC.read_text(encoding='utf-8')).items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(code, encoding='utf-8')
    (folder / 'my_project' / 'my_project' / '__init__.py').touch()
    return folder / 'my_project'


@pytest.fixture(scope='module')
def examples():
    return extract_examples(DOC.read_text(encoding='utf-8'))


@pytest.fixture(scope='module')
def project(tmp_path_factory):
    return write_project(tmp_path_factory.mktemp('work'))


@pytest.fixture
def isolated(monkeypatch, project):
    """Undo the registrations, task names and imports an example adds;
    the page's project is importable meanwhile."""
    registries = (MODELS, BALANCERS, TRANSFORMS, DATASETS, METRICS)
    saved = [dict(r._module_dict) for r in registries]
    monkeypatch.setattr(base_dense_head, '_EXTRA_TASKS', [])
    monkeypatch.syspath_prepend(str(project))
    yield
    for registry, modules in zip(registries, saved):
        registry._module_dict.clear()
        registry._module_dict.update(modules)
    for name in [m for m in sys.modules if m.split('.')[0] == 'my_project']:
        del sys.modules[name]


def run_example(examples: dict, name: str) -> dict:
    namespace = {'__name__': f'add_module_example_{name}'}
    code = compile(examples[name], f'{DOC}#example-{name}', 'exec')
    exec(code, namespace)
    return namespace


def test_the_page_marks_exactly_the_known_examples(examples):
    text = DOC.read_text(encoding='utf-8')
    # every marker sits directly above a python fence
    assert len(_MARKER.findall(text)) == len(_BLOCK.findall(text)) + len(
        _FILE.findall(text)
    )
    assert sorted(examples) == sorted(EXAMPLES)
    assert sorted(extract_files(text)) == sorted(FILES)


@pytest.mark.parametrize('name', EXAMPLES)
def test_example_runs(examples, isolated, name):
    namespace = run_example(examples, name)
    assert namespace  # the asserts of the page ran inside exec


def test_loss_example_computes_the_reverse_huber_loss(examples, isolated):
    loss = run_example(examples, 'loss')['BerHuLoss'](loss_weight=2.0)
    pred = torch.tensor([1.0, 2.0, 5.0, 9.0]).view(1, 1, 1, 4)
    target = torch.tensor([1.0, 1.0, 1.0, 0.0]).view(1, 1, 1, 4)
    # |diff| = 0, 1, 4 on the valid pixels; c = 0.2 * 4 = 0.8
    expected = (0.0 + (1 + 0.64) / 1.6 + (16 + 0.64) / 1.6) / 3
    torch.testing.assert_close(loss(pred, target), torch.tensor(2 * expected))


def test_task_example_registers_its_task_and_head(examples, isolated):
    namespace = run_example(examples, 'add-a-task')
    assert registered_tasks()[-1] == 'edge'
    assert MODELS.get('DepthEdgeHead') is namespace['DepthEdgeHead']


def test_examples_leave_the_registries_as_they_were(examples, isolated):
    assert MODELS.get('TowerDepthHead') is None
    assert BALANCERS.get('GeometricMeanWeighting') is None
    assert 'edge' not in registered_tasks()


def test_berhu_loss_has_finite_gradients_at_zero_error(examples, isolated):
    loss = run_example(examples, 'loss')['BerHuLoss']()
    pred = torch.ones(1, 1, 2, 2, requires_grad=True)
    loss(pred, torch.ones(1, 1, 2, 2)).backward()
    assert torch.isfinite(pred.grad).all()


# ------------------------------------------------- configs trained and tested

#: Shrinks the data, the batch and the schedule; nothing else changes.
_SHORT_RUN = [
    'train_cfg.max_iters=2',
    'train_cfg.val_interval=2',
    'default_hooks.checkpoint.interval=2',
    'default_hooks.logger.interval=1',
    'train_dataloader.batch_size=2',
] + [
    f'{loader}_dataloader.{key}'
    for loader in ('train', 'val', 'test')
    for key in ('num_workers=0', 'persistent_workers=False')
]
_SYNTHROOMS_MDE = (
    _SHORT_RUN
    + [
        f'{loader}_dataloader.dataset.{key}'
        for loader in ('train', 'val', 'test')
        for key in ('num_samples=2', 'img_shape=[64,96]')
    ]
    + ['train_dataloader.dataset.pipeline.1.crop_size=[48,64]']
)
_SYNTHROOMS_DSR = _SHORT_RUN + [
    'train_dataloader.dataset.dataset.num_samples=1',
    'val_dataloader.dataset.num_samples=1',
    'test_dataloader.dataset.num_samples=1',
]


def _env(project):
    """The environment of the page's commands: the project on PYTHONPATH
    (and this checkout, which the commands run in)."""
    env = dict(os.environ)
    parts = [str(project), str(ROOT), env.get('PYTHONPATH', '')]
    env['PYTHONPATH'] = os.pathsep.join(p for p in parts if p)
    return env


def _run(tool, config, *args, env):
    result = subprocess.run(
        [sys.executable, str(ROOT / 'tools' / tool), str(config), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, (
        result.stdout[-3000:] + result.stderr[-3000:]
    )
    return result


def _load_tool(name):
    spec = importlib.util.spec_from_file_location(
        f'{name}_tool', ROOT / 'tools' / f'{name}.py'
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _dumped_config(work_dir, config):
    from mmengine.config import Config

    return Config.fromfile(str(Path(work_dir) / Path(config).name))


def test_in_tree_loss_trains_the_v3_config(examples, isolated, project):
    """The loss registered as its ``__init__.py`` import would, the in-tree
    config trained by ``tools/train.py`` (in this process)."""
    run_example(examples, 'loss')
    config = (
        project.parent
        / 'mmdepthsr'
        / 'configs'
        / 'v3_fusion'
        / 'v3-fusion-berhu_lightenc_1xb8-300it_synthrooms-dsr-x8.py'
    )
    work_dir = project.parent / 'work_dirs' / 'v3-berhu'
    _load_tool('train').main(
        [str(config), '--work-dir', str(work_dir), '--cfg-options']
        + _SYNTHROOMS_DSR
    )
    cfg = _dumped_config(work_dir, config)
    # _delete_=True: the base's L1Loss dicts are replaced, not merged
    berhu = dict(type='BerHuLoss', threshold=0.2)
    assert cfg.model.loss_sr == berhu and cfg.model.loss_depth == berhu
    assert (work_dir / 'iter_2.pth').is_file()
    scalars = [
        json.loads(line)
        for line in next(work_dir.glob('*/vis_data/scalars.json')).open()
    ]
    losses = [s['loss'] for s in scalars if 'loss' in s]
    assert len(losses) == 2 and all(0 < v < float('inf') for v in losses)


def test_out_of_tree_needs_the_project_on_the_path(project):
    env = _env(project)
    env['PYTHONPATH'] = str(ROOT)
    config = project / 'configs' / 'tiny-backbone-tower-head_synthrooms.py'
    result = subprocess.run(
        [sys.executable, str(ROOT / 'tools' / 'train.py'), str(config)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "No module named 'my_project'" in result.stderr


def test_out_of_tree_backbone_and_head_train_and_test(project):
    config = project / 'configs' / 'tiny-backbone-tower-head_synthrooms.py'
    work_dir = project.parent / 'work_dirs' / 'tiny'
    env = _env(project)
    _run(
        'train.py',
        config,
        '--work-dir',
        str(work_dir),
        '--cfg-options',
        *_SYNTHROOMS_MDE,
        env=env,
    )
    state = torch.load(work_dir / 'iter_2.pth', weights_only=False)
    keys = set(state['state_dict'])
    # the page's modules were built: backbone stages and the head's towers
    assert any(k.startswith('backbone.stages.3.') for k in keys)
    assert any(k.startswith('heads.depth.towers.4.') for k in keys)
    result = _run(
        'test.py',
        config,
        str(work_dir / 'iter_2.pth'),
        '--cfg-options',
        *_SYNTHROOMS_MDE,
        env=env,
    )
    assert 'abs_rel' in result.stdout + result.stderr
    (results_json,) = work_dir.glob('test_*.json')
    metrics = json.loads(results_json.read_text())['metrics']
    assert 0 < metrics['rmse'] < float('inf')


def test_out_of_tree_dataset_transform_metric_train_and_test(
    project, monkeypatch
):
    data_root = project.parent / 'data' / 'npz_rooms'
    # make_npz_rooms.py as the page runs it, small frames
    monkeypatch.setattr(
        sys,
        'argv',
        ['make_npz_rooms.py', str(data_root), '--num-train', '2']
        + ['--num-val', '1', '--img-shape', '48', '64'],
    )
    runpy.run_path(str(project / 'make_npz_rooms.py'), run_name='__main__')
    assert len(list((data_root / 'train').glob('*.npz'))) == 2

    config = project / 'configs' / 'npz-rooms_lightenc-mde.py'
    options = _SHORT_RUN + [
        f'{loader}_dataloader.dataset.data_root={data_root}'
        for loader in ('train', 'val', 'test')
    ]
    work_dir = project.parent / 'work_dirs' / 'npz'
    env = _env(project)
    _run(
        'train.py',
        config,
        '--work-dir',
        str(work_dir),
        '--cfg-options',
        *options,
        env=env,
    )
    preds = work_dir / 'preds.pkl'
    _run(
        'test.py',
        config,
        str(work_dir / 'iter_2.pth'),
        '--out',
        str(preds),
        '--cfg-options',
        *options,
        env=env,
    )
    (results_json,) = work_dir.glob('test_*.json')
    metrics = json.loads(results_json.read_text())['metrics']
    with open(preds, 'rb') as f:
        (sample,) = pickle.load(f)
    pred = np.asarray(sample['pred_depth']).squeeze()
    with np.load(sample['img_path']) as frame:  # the val frame
        gt = frame['depth']
    error = np.abs(pred - gt)[gt > 0]
    # DepthWithinMetric of the page, recomputed from the dumped prediction
    assert metrics['mae'] == pytest.approx(float(error.mean()), rel=1e-5)
    assert metrics['within'] == pytest.approx(float((error < 0.1).mean()))
    assert 'abs_rel' in metrics  # DepthMetric beside it
