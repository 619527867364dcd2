# SOSD-Net on SynthRooms (depth + the 6 classes wall, floor, ceiling, box,
# cylinder, sphere), small enough to train on a CPU in minutes: the SOSD
# structure (ASPP, DeepLabv3+ common decoder, two task branches, S2D, D2S,
# heads at the input size) with narrow widths, and the light four-stage
# LightConvEncoder (trained from scratch, as every SynthRooms model) instead
# of Xception-65: low-level tap = its stride-4 map (ASPP low_level_index=1,
# 32 ch), top = its stride-16 map (128 ch); the ASPP rates are the OS16
# ones divided by 3 for the 14 x 18 top map of a 224 x 288 input [I].
# The EM-like schedule of _base_/schedules/sosdnet_em_sgd_poly_40k.py scaled
# to 300 iterations: 100 joint, then 2 rounds of 50 depth-only and 50
# semantic-only steps; Adam as the other SynthRooms configs.
_base_ = [
    '../_base_/models/sosdnet_xception65.py',
    '../_base_/datasets/synthrooms.py',
    '../_base_/schedules/sosdnet_em_sgd_poly_40k.py',
]
model = dict(
    num_classes=6,
    data_preprocessor=dict(size_divisor=16),
    backbone=dict(
        _delete_=True,
        type='LightConvEncoder',
        in_channels=3,
        channels=(16, 32, 64, 128),
    ),
    # explicit rates replace the output_stride rule
    aspp=dict(channels=64, dilations=(2, 4, 6), low_level_index=1),
    common_decoder=dict(channels=64, low_level_channels=16),
    branch_channels=64,
    refine_channels=16,
    task_channels=16,
    d2s_mid_channels=(16, 8),
    size_divisor=16,
)
optim_wrapper = dict(
    _delete_=True, type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3)
)
param_scheduler = []
train_cfg = dict(type='IterBasedTrainLoop', max_iters=300, val_interval=300)
custom_hooks = [
    dict(type='RNGStateHook'),
    dict(
        _base_.em_hook,
        warmup_iters=100,
        num_rounds=2,
        step_iters=(50, 50),  # depth, seg
    ),
]
val_evaluator = [
    dict(type='DepthMetric', min_depth=1e-3, max_depth=10.0, prefix='depth'),
    dict(type='SegMetric', num_classes=6, ignore_index=255),
]
test_evaluator = val_evaluator
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=300))
