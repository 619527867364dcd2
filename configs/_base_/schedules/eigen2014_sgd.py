# Eigen 2014 optimisation (authors' release, depth.conf): SGD, momentum
# 0.9, batch 32, base LR 1.0 times a per-layer factor (weights and biases
# alike), coupled L2 weight decay on weights only: 5e-4 on the coarse convs,
# 1e-4 on the fc layers and the fine convs, none on biases. Constant
# learning rate (the release has no schedule). Leaf configs set
# train_cfg.max_iters (and the checkpoint interval in default_hooks).
#
# custom_keys match the parameter name by substring, longest key first, and
# mmengine applies no bias_decay_mult to a parameter that matches a key:
# hence one key per bias. Parameters with requires_grad=False (the frozen
# part of a stage) are left out of the optimizer.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=1.0, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(
        custom_keys={
            # coarse conv1-5: LR x0.001, weight decay 5e-4
            'backbone': dict(lr_mult=0.001, decay_mult=5.0),
            'backbone.conv1.bias': dict(lr_mult=0.001, decay_mult=0.0),
            'backbone.conv2.bias': dict(lr_mult=0.001, decay_mult=0.0),
            'backbone.conv3.bias': dict(lr_mult=0.001, decay_mult=0.0),
            'backbone.conv4.bias': dict(lr_mult=0.001, decay_mult=0.0),
            'backbone.conv5.bias': dict(lr_mult=0.001, decay_mult=0.0),
            # coarse fc6-7: LR x0.1, weight decay 1e-4
            'coarse_head': dict(lr_mult=0.1, decay_mult=1.0),
            'coarse_head.fc6.bias': dict(lr_mult=0.1, decay_mult=0.0),
            'coarse_head.fc7.bias': dict(lr_mult=0.1, decay_mult=0.0),
            # fine1 x0.001, fine2 x0.01, fine3 x0.001; weight decay 1e-4
            'fine_head.fine1': dict(lr_mult=0.001, decay_mult=1.0),
            'fine_head.fine1.bias': dict(lr_mult=0.001, decay_mult=0.0),
            'fine_head.fine2': dict(lr_mult=0.01, decay_mult=1.0),
            'fine_head.fine2.bias': dict(lr_mult=0.01, decay_mult=0.0),
            'fine_head.fine3': dict(lr_mult=0.001, decay_mult=1.0),
            'fine_head.fine3.bias': dict(lr_mult=0.001, decay_mult=0.0),
        }
    ),
)
param_scheduler = []

train_cfg = dict(type='IterBasedTrainLoop', max_iters=1000, val_interval=1000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
