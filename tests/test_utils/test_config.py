import os.path as osp

from mmdepthsr.utils import load_config


def _write(tmp_path, text):
    path = tmp_path / 'my_cfg.py'
    path.write_text(text)
    return str(path)


def test_default_work_dir_from_file_name(tmp_path):
    cfg = load_config(_write(tmp_path, 'a = 1\n'))
    assert cfg.work_dir == osp.join('./work_dirs', 'my_cfg')


def test_config_work_dir_kept_and_command_line_wins(tmp_path):
    path = _write(tmp_path, "a = dict(b=1)\nwork_dir = 'from_cfg'\n")
    assert load_config(path).work_dir == 'from_cfg'
    cfg = load_config(path, {'a.b': 2}, work_dir='from_cli')
    assert cfg.work_dir == 'from_cli' and cfg.a.b == 2
