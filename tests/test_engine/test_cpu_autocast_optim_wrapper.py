"""CPUAutocastOptimWrapper and the --amp switch (configure_amp)."""

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from torch import nn

from mmdepthsr.engine import CPUAutocastOptimWrapper, configure_amp


def _wrapper(model, **kwargs):
    cfg = dict(
        type='CPUAutocastOptimWrapper',
        optimizer=dict(type='SGD', lr=0.1),
        **kwargs,
    )
    return build_optim_wrapper(model, cfg)


def test_forward_runs_in_bfloat16_and_update_stays_float32():
    torch.manual_seed(0)
    model = nn.Linear(4, 2)
    wrapper = _wrapper(model)
    assert isinstance(wrapper, CPUAutocastOptimWrapper)
    before = model.weight.detach().clone()
    x = torch.randn(8, 4)
    with wrapper.optim_context(model):
        out = model(x)
    assert out.dtype == torch.bfloat16
    loss = out.float().pow(2).mean()
    assert torch.isfinite(loss)
    wrapper.update_params(loss)
    assert model.weight.dtype == torch.float32
    assert not torch.equal(model.weight, before)
    # Outside the context: float32 again.
    assert model(x).dtype == torch.float32


def test_toy_model_train_step_is_finite():
    from _engine_toys import EngineToyNet

    torch.manual_seed(0)
    model = EngineToyNet(dropout=0.0)
    wrapper = _wrapper(model)
    data = dict(inputs=torch.rand(2, 3, 8, 8), target=torch.rand(2, 1, 8, 8))
    losses = [
        float(model.train_step(data, wrapper)['loss'].detach())
        for _ in range(3)
    ]
    assert all(torch.isfinite(torch.tensor(losses)))
    assert losses[2] < losses[0]


def test_bad_dtype():
    with pytest.raises(ValueError, match='bfloat16'):
        _wrapper(nn.Linear(2, 2), dtype='float64')


def _cfg(wrapper_type='OptimWrapper', **kwargs):
    return Config(
        dict(
            optim_wrapper=dict(
                type=wrapper_type, optimizer=dict(type='SGD'), **kwargs
            )
        )
    )


def test_configure_amp_on_cpu():
    cfg = _cfg()
    note = configure_amp(cfg, enable=True, device='cpu')
    assert cfg.optim_wrapper.type == 'CPUAutocastOptimWrapper'
    assert 'CPUAutocastOptimWrapper' in note and 'bfloat16' in note
    # A config that names AmpOptimWrapper cannot build on CPU: switched.
    cfg = _cfg('AmpOptimWrapper', loss_scale='dynamic', dtype='float16')
    note = configure_amp(cfg, enable=False, device='cpu')
    assert dict(cfg.optim_wrapper) == dict(
        type='CPUAutocastOptimWrapper', optimizer=dict(type='SGD')
    )
    assert 'names AmpOptimWrapper' in note
    cfg = _cfg()
    assert configure_amp(cfg, enable=False, device='cpu') == ''
    assert cfg.optim_wrapper.type == 'OptimWrapper'


def test_configure_amp_on_cuda_uses_amp_optim_wrapper():
    cfg = _cfg()
    note = configure_amp(cfg, enable=True, device='cuda')
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    assert 'AmpOptimWrapper' in note
    cfg = _cfg('AmpOptimWrapper', loss_scale=512.0)
    assert 'already' in configure_amp(cfg, enable=True, device='cuda')
    assert cfg.optim_wrapper.loss_scale == 512.0


def test_configure_amp_rejects_other_wrappers():
    for device in ('cpu', 'cuda'):
        with pytest.raises(ValueError, match='OptimWrapperDict'):
            configure_amp(_cfg('OptimWrapperDict'), enable=True, device=device)
    with pytest.raises(ValueError, match='optim_wrapper'):
        configure_amp(Config(dict()), enable=True, device='cpu')


@pytest.mark.cuda
def test_amp_optim_wrapper_builds_on_cuda():
    cfg = _cfg()
    configure_amp(cfg, enable=True)
    model = nn.Linear(2, 2).cuda()
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    assert type(wrapper).__name__ == 'AmpOptimWrapper'
