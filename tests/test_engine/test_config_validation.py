"""validate_config: unknown top-level keys, unregistered type names,
unknown constructor arguments and strings given for numbers."""

from typing import Optional

import pytest
from mmengine.config import Config
from torch import nn

from mmdepthsr.engine import ConfigValidationError, validate_config
from mmdepthsr.registry import MODELS


def _problems(cfg):
    if not isinstance(cfg, Config):
        cfg = Config(cfg)
    with pytest.raises(ConfigValidationError) as exc:
        validate_config(cfg)
    return str(exc.value)


def _base(**extra):
    cfg = dict(
        default_scope='mmdepthsr',
        model=dict(type='EngineToyNet', dropout=0.1),
        train_dataloader=dict(
            batch_size=2,
            sampler=dict(type='InfiniteSampler', shuffle=True),
            collate_fn=dict(type='default_collate'),
            dataset=dict(type='EngineToyDataset', length=4),
        ),
        optim_wrapper=dict(
            type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1)
        ),
        param_scheduler=[dict(type='PolyLR', by_epoch=False)],
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=2),
        default_hooks=dict(
            logger=dict(type='LoggerHook', interval=1), sampler_seed=None
        ),
        custom_hooks=[dict(type='RNGStateHook')],
        val_evaluator=[dict(type='EngineToyMetric')],
        visualizer=dict(
            type='Visualizer', vis_backends=[dict(type='LocalVisBackend')]
        ),
        runner_type='DenseRunner',
    )
    cfg.update(extra)
    return cfg


def test_valid_config_and_helper_variables_pass():
    validate_config(
        Config(
            _base(
                crop_size=(8, 8),
                train_pipeline=[dict(type='mmengine.ToTensor', keys=['x'])],
                optimizer=dict(type='SGD', lr=0.1),
                _val_dataloader_nyu=dict(batch_size=1),
            )
        )
    )


def test_typo_in_top_level_key():
    msg = _problems(_base(trian_dataloader=dict(batch_size=2)))
    assert "unknown top-level key 'trian_dataloader'" in msg
    assert "Did you mean 'train_dataloader'?" in msg
    assert '1 problem)' in msg


def test_runner_like_suffix_and_legacy_keys():
    msg = _problems(_base(lr_scheduler=[], lr_config=dict(policy='poly')))
    assert '2 problems' in msg
    assert "unknown top-level key 'lr_scheduler'" in msg
    assert "Did you mean 'param_scheduler'?" in msg
    assert "'lr_config': it is an MMCV 1.x" in msg
    assert "use 'param_scheduler' instead" in msg


def test_unregistered_types_name_path_and_closest():
    cfg = _base()
    cfg['model']['type'] = 'EngineToyNett'
    cfg['train_dataloader']['dataset']['type'] = 'EngineToyDatset'
    cfg['optim_wrapper']['optimizer']['type'] = 'SDG'
    cfg['custom_hooks'] = [dict(type='RNGStateHok')]
    msg = _problems(cfg)
    assert '4 problems' in msg
    assert (
        "model.type: type 'EngineToyNett' is not registered in the 'model' "
        'registry'
    ) in msg
    assert "Closest registered names: 'EngineToyNet'" in msg
    assert "train_dataloader.dataset.type: type 'EngineToyDatset'" in msg
    assert "'EngineToyDataset'" in msg
    assert "optim_wrapper.optimizer.type: type 'SDG'" in msg
    assert "'SGD'" in msg
    assert "custom_hooks[0].type: type 'RNGStateHok'" in msg
    assert "'RNGStateHook'" in msg
    assert 'custom_imports' in msg  # how to register an out-of-tree module


def test_type_from_the_wrong_registry():
    cfg = _base()
    cfg['default_hooks']['logger'] = dict(type='EngineToyMetric')
    msg = _problems(cfg)
    assert (
        "default_hooks.logger.type: 'EngineToyMetric' is registered in "
        in (msg)
    )
    assert "'metric' registry" in msg and "the 'hook' registry" in msg


def test_nested_model_parts_only_need_to_exist_somewhere():
    import mmcv.cnn  # noqa: F401  (registers 'BN' in MMEngine's MODELS)

    cfg = _base()
    cfg['model']['init_cfg'] = dict(type='Kaiming', layer='Conv2d')
    # (EngineToyNet's `norm` is a flag; only the type name matters here.)
    cfg['model']['norm'] = dict(type='BN')
    validate_config(Config(cfg))
    cfg['model']['data_preprocessor'] = dict(type='NoSuchLoss')
    msg = _problems(cfg)
    assert "model.data_preprocessor.type: type 'NoSuchLoss'" in msg


def test_runner_type_and_other_scope():
    msg = _problems(_base(runner_type='DenseRuner'))
    assert "runner_type: type 'DenseRuner'" in msg
    assert "'DenseRunner'" in msg
    # Types of other scopes are not checked; typos in keys still are.
    validate_config(Config(_base(default_scope='mmseg')))
    validate_config(Config(_base(model=dict(type='X'))), check_types=False)


@MODELS.register_module(force=True)
class ValidationToyBase(nn.Module):
    def __init__(self, width: int = 1, scale: Optional[float] = None):
        super().__init__()


@MODELS.register_module(force=True)
class ValidationToyChild(ValidationToyBase):
    """Forwards **kwargs to its base: the base's arguments are valid."""

    def __init__(self, depth=2, inner=None, **kwargs):
        super().__init__(**kwargs)


@MODELS.register_module(force=True)
class ValidationToyOpaque(nn.Module):
    """Keeps **kwargs for itself: any argument may be valid."""

    def __init__(self, **options):
        super().__init__()
        self.options = options


def _model_problems(model):
    return _problems(_base(model=model))


def test_nested_unknown_argument_names_path_and_closest():
    msg = _model_problems(
        dict(
            type='ValidationToyChild',
            inner=dict(type='ValidationToyChild', widht=3),
        )
    )
    assert (
        'model.inner.widht: unknown argument of ValidationToyChild; did you '
        "mean 'width'?" in msg
    )
    assert '(1 problem)' in msg
    msg = _model_problems(dict(type='ValidationToyBase', zzz=1))
    assert 'model.zzz: unknown argument of ValidationToyBase; valid ' in msg
    assert 'valid arguments: scale, width.' in msg


def test_arguments_through_kwargs_and_opaque_kwargs_pass():
    validate_config(
        Config(
            _base(
                model=dict(
                    type='ValidationToyChild',
                    depth=1,
                    width=2,  # the base's, through **kwargs
                    inner=dict(type='ValidationToyOpaque', anything=1),
                )
            )
        )
    )


def test_builder_keys_are_not_arguments():
    cfg = _base()
    cfg['custom_hooks'] = [dict(type='RNGStateHook', priority='LOW')]
    cfg['param_scheduler'] = [
        dict(type='PolyLR', by_epoch=True, convert_to_iter_based=True)
    ]
    cfg['model']['init_cfg'] = dict(
        type='Kaiming', override=dict(type='Kaiming', name='conv')
    )
    validate_config(Config(cfg))


def test_string_for_a_number_names_the_key():
    cfg = Config(_base())
    cfg.merge_from_dict({'train_cfg.max_iters': 'abc'})
    msg = _problems(cfg)
    assert (
        'train_cfg.max_iters: IterBasedTrainLoop expects int, got the '
        "string 'abc'." in msg
    )
    cfg = Config(_base())
    cfg.merge_from_dict({'optim_wrapper.optimizer.lr': '1e-3x'})
    msg = _problems(cfg)
    assert 'optim_wrapper.optimizer.lr: SGD expects number' in msg
    msg = _model_problems(dict(type='ValidationToyChild', scale='big'))
    assert 'model.scale: ValidationToyChild expects float, got' in msg
    # Numbers, and strings for arguments that are not scalars, pass.
    validate_config(
        Config(_base(model=dict(type='ValidationToyChild', width=3)))
    )
    validate_config(
        Config(_base(model=dict(type='ValidationToyOpaque', width='3')))
    )
