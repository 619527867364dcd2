# CLIFFNet (ResNet-50) on NYU Depth v2, pixel L1 loss, following the
# training details of the official code (scott89/CLIFFNet, core/config.py,
# core/data_transform.py): Adam 1e-4, weight decay 1e-4 (none on BN and
# biases), batch 8, lr x0.1 at 80k / 120k / 160k iterations; 228 x 304
# inputs; test on the 654 official test images, prediction clipped to
# [0, 10] m. Differences from the release: see README.md.
_base_ = [
    '../_base_/models/cliffnet_r50.py',
    '../_base_/datasets/nyu_sync.py',
    '../_base_/default_runtime.py',
]

train_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDepth', depth_scale=1000.0),
    # Release: ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4).
    # This package has no ColorJitter transform; RandomColorGain (per-channel
    # RGB gains) stands in for it.
    dict(type='RandomColorGain', gain_range=(0.8, 1.2)),
    dict(type='CenterCrop', crop_size=(456, 608)),
    # x0.5 -> 228 x 304. Depth is resized by nearest neighbour here (the
    # release resizes depth bilinearly).
    dict(type='Resize', scale=(228, 304)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDenseInputs'),
]
# Release: the full 480 x 640 frame resized to 228 x 304, the prediction
# upsampled bilinearly to 480 x 640 (ground truth kept at full size).
test_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDepth', depth_scale=1000.0),
    dict(type='Resize', scale=(228, 304), resize_gt=False),
    dict(type='PackDenseInputs'),
]
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# Release: clip to [0, 10] m. The lower bound is 1e-3 m instead of 0: a
# 0 prediction means "no prediction" to DepthMetric and has no logarithm.
model = dict(test_cfg=dict(clamp=(1e-3, 10.0)))

# The release evaluates every pixel with valid ground truth (no Eigen crop).
# For numbers comparable with later work, set crop='eigen_nyu'.
val_evaluator = dict(
    type='DepthMetric', min_depth=1e-3, max_depth=10.0, crop=None
)
test_evaluator = val_evaluator

optim_wrapper = dict(
    type='OptimWrapper',
    # torch Adam with L2 weight decay, as the release.
    optimizer=dict(
        type='Adam', lr=1e-4, betas=(0.9, 0.999), weight_decay=1e-4
    ),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0),
    clip_grad=None,
)
# Release: nominal 500 epochs (its test snapshot is epoch 53, ~265k
# iterations at batch 8 on 40k frames); 200k iterations is our choice.
max_iters = 200000
param_scheduler = [
    dict(
        type='MultiStepLR',
        milestones=[80000, 120000, 160000],
        gamma=0.1,
        by_epoch=False,
        begin=0,
        end=max_iters,
    )
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=5000
)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(interval=5000, max_keep_ckpts=3))
