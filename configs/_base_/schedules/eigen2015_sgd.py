# Eigen & Fergus 2015 optimisation (authors' release, models/iccv15/*.conf;
# identical for VGG16 and AlexNet): SGD, momentum 0.9, base LR 1.0 times a
# per-layer factor, coupled L2 weight decay on weights only (none on biases
# and on the depth prior bias map): 5e-4 on the scale-1 convs, 1e-5 on
# full1 / full2, 1e-4 on the scale-2 / scale-3 convs. Constant learning
# rate (the confs carry a commented-out step schedule of unknown epoch
# size). Leaf configs set train_cfg.max_iters and the stage switch.
#
# custom_keys match the parameter name by substring, longest key first, and
# mmengine applies no bias_decay_mult to a parameter that matches a key:
# hence one key per bias. The optimizer is built once for both stages by
# StagedOptimWrapperConstructor, which keeps the parameters that are frozen
# when it is built.
_scale1_convs = [f'conv{i}' for i in range(1, 6)] + [
    f'conv{i}_{j}' for i in range(1, 6) for j in range(1, 4)
]  # AlexNet conv1..conv5 and VGG16 conv1_1..conv5_3
_layer_lr = dict(
    conv_s2_1=0.001,
    conv_s2_2=0.01,
    conv_s2_3=0.01,
    conv_s2_4=0.01,
    conv_s2_5=0.001,
    conv_s3_1=0.001,
    conv_s3_2=0.01,
    conv_s3_3=0.01,
    conv_s3_4=0.001,
)
optim_wrapper = dict(
    type='OptimWrapper',
    constructor='StagedOptimWrapperConstructor',
    optimizer=dict(type='SGD', lr=1.0, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(
        custom_keys={
            # scale 1 convs (ImageNet stack): LR x0.001, weight decay 5e-4
            'backbone': dict(lr_mult=0.001, decay_mult=5.0),
            **{
                f'backbone.{name}.bias': dict(lr_mult=0.001, decay_mult=0.0)
                for name in _scale1_convs
            },
            # full1 / full2: LR x0.1, weight decay 1e-5
            'scale1.full1': dict(lr_mult=0.1, decay_mult=0.1),
            'scale1.full1.bias': dict(lr_mult=0.1, decay_mult=0.0),
            'scale1.full2': dict(lr_mult=0.1, decay_mult=0.1),
            'scale1.full2.bias': dict(lr_mult=0.1, decay_mult=0.0),
            # depth prior bias map ("depths_bias"): LR x0.1, no decay
            'prior_bias': dict(lr_mult=0.1, decay_mult=0.0),
            # scales 2 and 3 (every task): weight decay 1e-4
            **{
                name: dict(lr_mult=lr, decay_mult=1.0)
                for name, lr in _layer_lr.items()
            },
            **{
                f'{name}.bias': dict(lr_mult=lr, decay_mult=0.0)
                for name, lr in _layer_lr.items()
            },
        }
    ),
)
param_scheduler = []

train_cfg = dict(type='IterBasedTrainLoop', max_iters=1000, val_interval=1000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
