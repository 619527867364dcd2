# Eigen & Fergus 2015, AlexNet scale 1, depth + normals on the built-in
# SynthRooms dataset: the paper's model, losses, per-layer learning rates
# and augmentation with a budget that trains on a CPU in minutes (a smoke
# run, not a reproduction): scales 1 + 2 for 150 iterations, then scale 3
# on random 55 x 74 crops for 100, batch 8 (the budget of the Eigen 2014
# SynthRooms configs).
_base_ = [
    '../_base_/models/eigen2015_alexnet.py',
    '../_base_/datasets/synthrooms.py',
    '../_base_/schedules/eigen2015_sgd.py',
    '../_base_/default_runtime.py',
]

# SynthRooms renders 240 x 320 frames, the size the paper crops from.
train_pipeline = [
    dict(type='RandomScale', scale_range=(1.0, 1.5)),
    dict(type='RandomRotate', max_angle=5.0),
    dict(type='RandomCrop', crop_size=(228, 304)),
    dict(type='RandomColorGain', gain_range=(0.8, 1.2)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDenseInputs'),
]
test_pipeline = [
    dict(type='Resize', scale=(228, 304), resize_gt=False),
    dict(type='PackDenseInputs'),
]
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
val_evaluator = [
    dict(type='DepthMetric', min_depth=1e-3, max_depth=10.0),
    dict(type='NormalMetric'),
]
test_evaluator = val_evaluator

model = dict(
    # Deviation (as the Eigen 2014 SynthRooms configs): without ImageNet
    # weights the x 0.01 feature scaling starves full1; use 1.0.
    decoder=dict(scale1=dict(feature_scale=1.0)),
)
scale3_begin = 150
custom_hooks = [
    dict(type='RNGStateHook'),
    dict(
        type='StagedTrainingHook',
        stages=[
            dict(begin=0, model_stage='scales12'),
            dict(begin=scale3_begin, model_stage='scale3'),
        ],
    ),
]
# validation and checkpoints at the end of each stage (150 and 250)
train_cfg = dict(max_iters=250, val_interval=150)
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=150))
