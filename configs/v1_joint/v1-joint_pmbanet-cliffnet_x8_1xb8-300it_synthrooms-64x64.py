# v1 (PMBANet + CLIFFNet coupled by losses) x8 on SynthRooms with the
# grid-patch protocol (64 x 64 HR patches, each normalised by its LR
# maximum; whole test images by tiles with the same rule). Both outputs
# are evaluated: SRMetric on pred_sr_depth, DepthMetric on pred_depth (the
# MDE branch is scaled by the LR maximum of each tile, see
# CoupledDepthSR). Budget of the SynthRooms DSR comparison: 300 x 8
# patches, Adam 1e-4 (both papers use Adam 1e-4).
_base_ = [
    '../_base_/models/joint_v1.py',
    '../_base_/datasets/synthrooms_dsr_x8.py',
    '../_base_/default_runtime.py',
]

model = dict(
    scale_factor=8,
    sr_decoder=dict(scale_factor=8),
    # overlapping, linearly blended tiles against tile seams (as v2 / v3,
    # configs/v3_fusion/README.md "Tile seams")
    test_cfg=dict(
        mode='slide',
        patch_size=(64, 64),
        stride=(48, 48),
        blend='linear',
        normalize='max',
    ),
)
# SR keys plain (rmse, mad), depth keys as depth/<key>
val_evaluator = [
    _base_.sr_evaluator,
    dict(_base_.depth_evaluator, prefix='depth'),
]
test_evaluator = val_evaluator

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.999)),
)
param_scheduler = []
train_cfg = dict(type='IterBasedTrainLoop', max_iters=300, val_interval=300)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=300))
