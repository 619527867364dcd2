# Your own RGB-D frames for monocular depth estimation (DepthFolderDataset;
# docs/dataset_prepare.md, "Your own data"):
#   data/my_rgbd/rgb/<stem>.png|.jpg   RGB images
#   data/my_rgbd/depth/<stem>.png      16-bit depth, millimetres (or .npy
#                                      float metres with depth_scale=None)
#   data/my_rgbd/splits/train.txt, val.txt   one stem per line
# The dataset gives every sample its depth_scale; LoadDepth() takes it from
# there (one place to change). Run tools/misc/check_dataset.py on this
# config before training.
dataset_type = 'DepthFolderDataset'
data_root = 'data/my_rgbd'
depth_scale = 1000.0  # stored value per metre: 1000 = millimetre PNGs
max_depth = 10.0  # metres: evaluation cap (indoor 10, driving scenes 80)
crop_size = (256, 320)  # training crop; images must be at least this size

train_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDepth'),  # depth_scale from the dataset
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomColorGain', gain_range=(0.9, 1.1)),
    dict(type='PackDenseInputs'),
]
test_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDepth'),
    dict(type='PackDenseInputs'),
]

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        depth_scale=depth_scale,
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
        split='val',
        depth_scale=depth_scale,
        test_mode=True,
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader

val_evaluator = dict(type='DepthMetric', min_depth=1e-3, max_depth=max_depth)
test_evaluator = val_evaluator
