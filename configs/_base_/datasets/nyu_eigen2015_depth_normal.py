# NYU Depth v2 for the Eigen & Fergus 2015 depth + normals model. The paper
# trained on frames of the raw training scenes with normals fitted to the
# depth; raw frames carry no normals here, so training uses the 795
# official labelled training frames (raw Kinect depth, 0 = missing, and
# the converter's normals fitted to the in-painted depth, valid where the
# raw depth is). Test: the 654 official test frames, depth with the Eigen
# crop in [1e-3, 10] m and normals pooled over valid pixels. See
# nyu_labeled_normal.py for the normals ground truth (not the Ladicky et
# al. set most papers evaluate on).
# Data: tools/dataset_converters/nyu.py -> data/nyu_labeled.
dataset_type = 'NYULabeledDataset'
data_root = 'data/nyu_labeled'

train_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDepth', depth_scale=1000.0),
    dict(type='LoadNormal', encoding='png'),
    # 640 x 480 -> 320 x 240 (release)
    dict(type='Resize', scale=(240, 320)),
    # Paper augmentation (as 2014): scale s in [1, 1.5] (depth / s, normals
    # unchanged), rotation +-5 deg (normals rotate), random 304 x 228 crop,
    # RGB gains in [0.8, 1.2], flip (n_x negated).
    dict(type='RandomScale', scale_range=(1.0, 1.5)),
    dict(type='RandomRotate', max_angle=5.0),
    dict(type='RandomCrop', crop_size=(228, 304)),
    dict(type='RandomColorGain', gain_range=(0.8, 1.2)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDenseInputs'),
]
# The whole 480 x 640 frame resized to 228 x 304 (same 3:4 aspect); the
# ground truth stays at full resolution and predictions are resized to it.
test_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDepth', depth_scale=1000.0),
    dict(type='LoadNormal', encoding='png'),
    dict(type='Resize', scale=(228, 304), resize_gt=False),
    dict(type='PackDenseInputs'),
]

train_dataloader = dict(
    batch_size=16,  # VGG16 release; AlexNet: 32
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',  # 795 frames
        depth='raw',
        with_normal=True,
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
        split='test',  # 654 frames
        depth='raw',
        with_normal=True,
        test_mode=True,
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader

val_evaluator = [
    dict(type='DepthMetric', min_depth=1e-3, max_depth=10.0, crop='eigen_nyu'),
    dict(type='NormalMetric'),
]
test_evaluator = val_evaluator
