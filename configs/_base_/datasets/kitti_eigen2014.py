# KITTI raw data for the Eigen 2014 setup (paper section 4.2): velodyne
# scans projected into the colour image as ground truth (LoadVelodyneDepth,
# the Eigen protocol), left and right images as separate samples.
# Train: the paper's frame list was not released; monodepth2's
# splits/eigen_full/train_files.txt (Eigen-split training scenes, l and r)
# stands in for it. Test: the 697 Eigen test frames (BTS
# eigen_test_files_with_gt.txt; the annotated-GT column is ignored).
# Layout under data_root: raw/ and splits/ (see KITTIDataset).
dataset_type = 'KITTIDataset'
data_root = 'data/kitti'
data_prefix = dict(img_path='raw')
train_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadVelodyneDepth', vel_depth=True),
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
    dict(type='LoadVelodyneDepth', vel_depth=True),
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
        data_prefix=data_prefix,
        ann_file='splits/eigen_full/train_files.txt',
        ann_format='monodepth2',
        gt_source='velodyne',
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
        data_prefix=data_prefix,
        ann_file='splits/eigen_test_files_with_gt.txt',
        gt_source='velodyne',
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader
# The paper did not cap depth at 80 m; the Eigen crop (of the full-
# resolution ground truth) reproduces its region.
val_evaluator = dict(
    type='DepthMetric', min_depth=1e-3, max_depth=80.0, crop='eigen_kitti'
)
test_evaluator = val_evaluator
