# NYU Depth v2 labelled set, monocular depth estimation on the official split
# (Silberman et al., ECCV 2012): train on the 795 training frames with the
# in-painted depth (`depths`), test on the 654 test frames against the raw
# Kinect depth (`rawDepths`, the ground truth of the BTS 654-image test set)
# with the Eigen crop [45:471, 41:601], depth in (1e-3, 10) m, metrics per
# image then averaged (Eigen et al. 2014; BTS, AdaBins, NeWCRFs).
# Data: tools/dataset_converters/nyu.py -> data/nyu_labeled.
dataset_type = 'NYULabeledDataset'
data_root = 'data/nyu_labeled'
crop_size = (416, 544)  # BTS

train_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDepth', depth_scale=1000.0),  # uint16 millimetres
    # BTS: fixed crop [45:472, 43:608] (drops the white image border),
    # rotation +-2.5 deg, random 416 x 544 crop, flip, colour gains.
    dict(type='FixedCrop', box=(45, 472, 43, 608)),  # BTS NYU crop
    dict(type='RandomRotate', max_angle=2.5),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomColorGain', gain_range=(0.9, 1.1)),
    dict(type='PackDenseInputs'),
]
# Full 480 x 640 frames; the metric applies the Eigen crop.
test_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDepth', depth_scale=1000.0),
    dict(type='PackDenseInputs'),
]

train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',  # 795 official training frames
        depth='filled',
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
        split='test',  # 654 official test frames
        depth='raw',
        test_mode=True,
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader

val_evaluator = dict(
    type='DepthMetric', min_depth=1e-3, max_depth=10.0, crop='eigen_nyu'
)
test_evaluator = val_evaluator
