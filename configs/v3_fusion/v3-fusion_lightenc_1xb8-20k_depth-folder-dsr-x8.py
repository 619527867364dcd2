# v3 joint MDE + DSR (light encoders, as the SynthRooms configs) on your own
# RGB-D frames, x8 (configs/_base_/datasets/depth_folder_dsr_x8.py:
# data/my_rgbd, millimetre PNGs, LR simulated by PIL bicubic, splits
# train / val): 128 x 128 HR crops normalised by their LR maximum for
# training, whole images tiled on 128 x 128 tiles (stride 64, linear
# blending) with the same per-tile rule for testing.
_base_ = [
    '../_base_/models/joint_v3.py',
    '../_base_/datasets/depth_folder_dsr_x8.py',
    '../_base_/default_runtime.py',
]

model = dict(
    scale_factor=_base_.scale_factor,
    test_cfg=dict(
        mode='slide',
        patch_size=_base_.crop_size,
        stride=(64, 64),
        normalize='max',
        blend='linear',
    ),
)

optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3))
max_iters = 20000
param_scheduler = [
    dict(
        type='MultiStepLR',
        milestones=[12000, 16000],
        gamma=0.1,
        by_epoch=False,
        begin=0,
        end=max_iters,
    )
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=2000
)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# SRMetric and DepthMetric both return `rmse`: the depth keys get a prefix
val_evaluator = [
    _base_.sr_evaluator,
    dict(_base_.depth_evaluator, prefix='depth'),
]
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(interval=2000))
