# NYU Depth v2 for the Eigen 2014 setup (paper section 4.1). Training: frames
# of the raw training scenes (the paper rebalanced ~120K raw frames; the BTS
# "sync" set of 24,231 frames is the usual public substitute); test: the 654
# labelled test images with their raw depth. BTS layout under data_root
# (sync/, official_splits/test/, splits/; see NYUDepthV2Dataset). Depth PNGs
# are uint16 millimetres (0 = missing).
dataset_type = 'NYUDepthV2Dataset'
data_root = 'data/nyu'

train_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDepth', depth_scale=1000.0),
    # 640 x 480 -> 320 x 240 (release)
    dict(type='Resize', scale=(240, 320)),
    # Paper augmentation: scale s in [1, 1.5] (depth / s), rotation +-5 deg,
    # random 304 x 228 crop (translation), RGB gains in [0.8, 1.2], flip.
    dict(type='RandomScale', scale_range=(1.0, 1.5)),
    dict(type='RandomRotate', max_angle=5.0),
    dict(type='RandomCrop', crop_size=(228, 304)),
    dict(type='RandomColorGain', gain_range=(0.8, 1.2)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDenseInputs'),
]
# The paper centre-crops 228 x 304 out of 240 x 320. We resize the whole
# 480 x 640 frame to 228 x 304 (same 3:4 aspect, 5% smaller) and keep the
# ground truth at 480 x 640, so that the prediction aligns with the full
# frame and is evaluated at full resolution.
test_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDepth', depth_scale=1000.0),
    dict(type='Resize', scale=(228, 304), resize_gt=False),
    dict(type='PackDenseInputs'),
]

train_dataloader = dict(
    batch_size=32,  # paper
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        test_mode=True,
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader

# NYU protocol of later work: Eigen crop [45:471, 41:601] of 480 x 640, depth
# in [1e-3, 10] m. The paper's own evaluation region is not documented.
val_evaluator = dict(
    type='DepthMetric', min_depth=1e-3, max_depth=10.0, crop='eigen_nyu'
)
test_evaluator = val_evaluator
