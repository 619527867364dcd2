"""tools/test.py writes its results into the checkpoint's work dir."""

import importlib.util
import os.path as osp

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _tool():
    spec = importlib.util.spec_from_file_location(
        '_tools_test', osp.join(ROOT, 'tools', 'test.py')
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_checkpoint_work_dir(tmp_path):
    work_dir = tmp_path / 'work_dirs' / 'my_config'
    work_dir.mkdir(parents=True)
    checkpoint = work_dir / 'iter_2.pth'
    checkpoint.write_bytes(b'')
    tool = _tool()
    # a checkpoint outside a training work dir: the config decides
    assert tool.checkpoint_work_dir(str(checkpoint)) is None
    (work_dir / 'last_checkpoint').write_text(str(checkpoint))
    assert tool.checkpoint_work_dir(str(checkpoint)) == str(work_dir)
    assert tool.checkpoint_work_dir(None) is None
    assert tool.checkpoint_work_dir('https://host/ckpt.pth') is None
