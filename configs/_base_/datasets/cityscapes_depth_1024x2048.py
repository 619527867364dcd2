# Cityscapes monocular depth only, evaluated on the full-resolution
# (1024 x 2048) ground truth, with the settings of the
# Monocular-Depth-Estimation-Toolbox Cityscapes config: network input
# 352 x 1216 (aspect ratio not kept), training augmentation rotate
# +-2.5 deg (p = 0.5), flip, random 352 x 704 crops, colour gains in
# [0.9, 1.1]; caps 1e-3..200 m and the Garg crop (fractions of the
# full-resolution ground truth). That toolbox trains on a file list of its
# own; this config uses the 2975 gtFine train frames (use
# split='train_extra' for the 19,998 extra frames; it needs their
# leftImg8bit, disparity and camera packages).
dataset_type = 'CityscapesDataset'
data_root = 'data/cityscapes'
input_size = (352, 1216)

train_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDisparityDepth'),
    dict(type='Resize', scale=input_size),
    dict(type='RandomRotate', max_angle=2.5, prob=0.5),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=(352, 704)),
    dict(type='RandomColorGain', gain_range=(0.9, 1.1)),
    dict(type='PackDenseInputs'),
]
# Image resized to the input size; ground truth kept at 1024 x 2048.
test_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDisparityDepth'),
    dict(type='Resize', scale=input_size, resize_gt=False),
    dict(type='PackDenseInputs'),
]

train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        seg_classes=None,
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',  # 500 frames
        seg_classes=None,
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader

# DisparityMetric rescales fx to the 2048-wide ground truth, so its errors
# are in full-resolution pixels ((p - 1) / 256).
val_evaluator = [
    dict(
        type='DepthMetric',
        min_depth=1e-3,
        max_depth=200.0,
        crop='garg',
        prefix='depth',
    ),
    dict(type='DisparityMetric', averaging='pixel'),
]
test_evaluator = val_evaluator
