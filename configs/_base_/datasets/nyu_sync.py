# NYU Depth v2 in the BTS "sync" layout (cleinc/bts): train on the 24,231
# frames of nyudepthv2_train_files_with_gt.txt (every 7th synchronised raw
# frame of the 284 training scenes, projected raw depth), test on the 654
# official test frames (raw `rawDepths` of the labelled set) at full
# 480 x 640 with the Eigen crop [45:471, 41:601], depth in (1e-3, 10) m,
# metrics per image then averaged (BTS, AdaBins, NeWCRFs, the
# Monocular-Depth-Estimation-Toolbox). Depth PNGs are uint16 millimetres.
dataset_type = 'NYUDepthV2Dataset'
data_root = 'data/nyu'
crop_size = (416, 544)  # BTS

train_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDepth', depth_scale=1000.0),
    # BTS training crop [45:472, 43:608], then rotation +-2.5 deg, random
    # 416 x 544 crop and flip. BTS also jitters gamma (0.9-1.1) and
    # brightness (0.75-1.25); RandomColorGain covers its colour part.
    dict(type='FixedCrop', box=(45, 472, 43, 608)),  # BTS NYU crop
    dict(type='RandomRotate', max_angle=2.5),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomColorGain', gain_range=(0.9, 1.1)),
    dict(type='PackDenseInputs'),
]
test_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDepth', depth_scale=1000.0),
    dict(type='PackDenseInputs'),
]

train_dataloader = dict(
    batch_size=4,  # BTS
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',  # sync/, 24,231 frames
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
        split='test',  # official_splits/test/, 654 frames
        test_mode=True,
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader

val_evaluator = dict(
    type='DepthMetric', min_depth=1e-3, max_depth=10.0, crop='eigen_nyu'
)
test_evaluator = val_evaluator
