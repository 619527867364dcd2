"""copy_init_cfg: module-level default init configs are never shared."""

from mmdepthsr.models.utils.init_cfg import copy_init_cfg


def test_sequences_become_lists_of_copies():
    default = (dict(type='Normal', std=0.01), dict(type='Constant', val=0))
    copied = copy_init_cfg(default)
    assert copied == [
        dict(type='Normal', std=0.01),
        dict(type='Constant', val=0),
    ]
    copied[0]['std'] = 1.0
    assert default[0]['std'] == 0.01


def test_dict_and_none_pass_through():
    cfg = dict(type='Pretrained', checkpoint='x.pth')
    assert copy_init_cfg(cfg) is cfg
    assert copy_init_cfg(None) is None
