# CLIFFNet (ResNet-50, random init) on the built-in SynthRooms dataset: the
# NYU recipe (Adam 1e-4, weight decay 1e-4 without BN / biases, pixel L1,
# x0.5 resize, flip, colour gains, [0, 10] m clip) with a budget small
# enough for a CPU smoke run; not a reproduction.
_base_ = [
    '../_base_/models/cliffnet_r50.py',
    '../_base_/datasets/synthrooms.py',
    '../_base_/default_runtime.py',
]

# SynthRooms frames are 240 x 320 (a quarter of NYU): x0.5 as the release
# gives 120 x 160, of which a random 96 x 128 window is trained on to keep
# ResNet-50 affordable on a CPU.
train_pipeline = [
    dict(type='RandomColorGain', gain_range=(0.8, 1.2)),
    dict(type='Resize', scale_factor=0.5),
    dict(type='RandomCrop', crop_size=(96, 128)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDenseInputs'),
]
test_pipeline = [
    dict(type='Resize', scale=(120, 160), resize_gt=False),
    dict(type='PackDenseInputs'),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=1,
    persistent_workers=False,
    dataset=dict(pipeline=train_pipeline),
)
val_dataloader = dict(
    num_workers=1,
    persistent_workers=False,
    dataset=dict(pipeline=test_pipeline),
)
test_dataloader = dict(
    num_workers=1,
    persistent_workers=False,
    dataset=dict(pipeline=test_pipeline),
)

# Release: clip to [0, 10] m. The lower bound is 1e-3 m instead of 0: a
# 0 prediction means "no prediction" to DepthMetric and has no logarithm.
model = dict(test_cfg=dict(clamp=(1e-3, 10.0)))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='Adam', lr=1e-4, betas=(0.9, 0.999), weight_decay=1e-4
    ),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0),
    clip_grad=None,
)
param_scheduler = []
train_cfg = dict(type='IterBasedTrainLoop', max_iters=300, val_interval=300)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=300))
