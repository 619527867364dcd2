# v2 joint MDE + DSR on SynthRooms x8 (grid 64 x 64 patches, per-patch
# LR-max normalisation; tiled test with the same rule). Small enough to
# train on a CPU in minutes: 300 iterations x 8 patches.
_base_ = [
    '../_base_/models/joint_v2.py',
    '../_base_/datasets/synthrooms_dsr_x8.py',
    '../_base_/schedules/schedule_adam_step_40k.py',
    '../_base_/default_runtime.py',
]

model = dict(
    scale_factor=8,
    # overlapping tiles (stride 48), linearly blended: side-by-side tiles
    # leave a visible seam at every tile border (configs/v3_fusion/README.md
    # "Tile seams")
    test_cfg=dict(
        mode='slide',
        patch_size=(64, 64),
        stride=(48, 48),
        blend='linear',
        normalize='max',
    ),
)

optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = []
train_cfg = dict(type='IterBasedTrainLoop', max_iters=300, val_interval=300)
# SRMetric and DepthMetric both return `rmse`: the depth keys get a prefix
val_evaluator = [
    _base_.sr_evaluator,
    dict(_base_.depth_evaluator, prefix='depth'),
]
test_evaluator = val_evaluator
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=300))
