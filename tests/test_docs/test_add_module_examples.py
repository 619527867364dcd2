"""The python examples of docs/add_module.md run as written.

A fenced ``python`` block directly preceded by ``<!-- example: NAME -->``
belongs to example ``NAME``; the blocks of one example are joined in
document order and executed in a fresh namespace, so the ``assert``s in
the page are checked here. Registrations made by an example are undone
afterwards, so the examples can run in any order and more than once.
"""

import re
import textwrap
from pathlib import Path

import pytest
import torch

from mmdepthsr.models.heads import base_dense_head, registered_tasks
from mmdepthsr.registry import BALANCERS, MODELS, TRANSFORMS

DOC = Path(__file__).parents[2] / 'docs' / 'add_module.md'

#: Every example of the page; a marker that is added, renamed or lost
#: fails ``test_the_page_marks_exactly_the_known_examples``.
EXAMPLES = (
    'loss',
    'backbone',
    'model-from-parts',
    'add-a-head',
    'add-a-task',
    'add-a-balancer',
    'interaction-unit',
    'new-unit',
)

_MARKER = re.compile(r'^[ \t]*<!-- example: ([\w-]+) -->', re.MULTILINE)
_BLOCK = re.compile(
    r'^[ \t]*<!-- example: ([\w-]+) -->[ \t]*\n'
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


@pytest.fixture(scope='module')
def examples():
    return extract_examples(DOC.read_text(encoding='utf-8'))


@pytest.fixture
def isolated(monkeypatch):
    """Undo the registrations and task names an example adds."""
    registries = (MODELS, BALANCERS, TRANSFORMS)
    saved = [dict(r._module_dict) for r in registries]
    monkeypatch.setattr(base_dense_head, '_EXTRA_TASKS', [])
    yield
    for registry, modules in zip(registries, saved):
        registry._module_dict.clear()
        registry._module_dict.update(modules)


def run_example(examples: dict, name: str) -> dict:
    namespace = {'__name__': f'add_module_example_{name}'}
    code = compile(examples[name], f'{DOC}#example-{name}', 'exec')
    exec(code, namespace)
    return namespace


def test_the_page_marks_exactly_the_known_examples(examples):
    text = DOC.read_text(encoding='utf-8')
    # every marker sits directly above a python fence
    assert len(_MARKER.findall(text)) == len(_BLOCK.findall(text))
    assert sorted(examples) == sorted(EXAMPLES)


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
