# KITTI raw data for the Eigen 2014 setup (paper section 4.2).
# NOTE: the KITTI loader (KITTIDataset) is not part of the toolbox yet; its
# argument names may still change. Depth PNGs store metres x 256 (0 = no
# LiDAR point). Split: the paper's 28 training scenes of the raw data.
dataset_type = 'KITTIDataset'
data_root = 'data/kitti'
train_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDepth', depth_scale=256.0),
    # 1224 x 368 halved to 612 x 184 (paper), then the paper's augmentation
    dict(type='Resize', scale=(184, 612)),
    dict(type='RandomScale', scale_range=(1.0, 1.5)),
    dict(type='RandomRotate', max_angle=5.0),
    dict(type='RandomCrop', crop_size=(172, 576)),
    dict(type='RandomColorGain', gain_range=(0.8, 1.2)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDenseInputs'),
]
# Whole frame resized to the input size; ground truth kept at full size.
test_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDepth', depth_scale=256.0),
    dict(type='Resize', scale=(172, 576), resize_gt=False),
    dict(type='PackDenseInputs'),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='eigen2014_train',
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
        split='eigen_test',
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader
# The paper did not cap depth at 80 m; the Eigen crop reproduces its region.
val_evaluator = dict(
    type='DepthMetric', min_depth=1e-3, max_depth=80.0, crop='eigen_kitti'
)
test_evaluator = val_evaluator
