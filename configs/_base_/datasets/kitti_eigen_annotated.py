# KITTI Eigen split, BTS convention (Lee et al. 2019, cleinc/bts):
# ground truth = the annotated depth maps of Uhrig et al. 2017 (train and
# val merged into gt_depth/ by tools/dataset_converters/kitti.py).
# Train: BTS eigen_train_files_with_gt.txt (23,158 frames). Test: the 652
# frames of the 697-frame Eigen test split that have an annotated map (the
# 45 "None" lines are skipped and counted in the log).
# The network sees the KB crop (352 x 1216); the prediction is pasted into
# a zero canvas of the full-resolution ground truth (e.g. 375 x 1242) and
# evaluated in the Garg crop of that full-resolution map, 1e-3 < gt < 80 m,
# predictions clamped to [1e-3, 80], metrics averaged per image.
# The MDE toolbox convention (Garg crop of the KB-cropped ground truth) is
# kitti_eigen_annotated_kbcrop_gt.py; the 50 m cap of Garg et al. 2016 is
# --cfg-options val_evaluator.max_depth=50 test_evaluator.max_depth=50.
dataset_type = 'KITTIDataset'
data_root = 'data/kitti'
data_prefix = dict(img_path='raw', depth_path='gt_depth')

train_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDepth', depth_scale=256.0),  # uint16 PNG, metres x 256
    dict(type='KBCrop', crop_gt=True),
    dict(type='RandomRotate', max_angle=1.0),  # BTS: +-1 degree on KITTI
    dict(type='RandomCrop', crop_size=(352, 704)),  # BTS input size
    dict(type='RandomFlip', prob=0.5),
    # BTS's per-channel colour factor in [0.9, 1.1] (its gamma and
    # brightness jitter are not reproduced)
    dict(type='RandomColorGain', gain_range=(0.9, 1.1)),
    dict(type='PackDenseInputs'),
]
test_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDepth', depth_scale=256.0),
    # input = KB crop, ground truth kept at full resolution (gt_crop_box)
    dict(type='KBCrop', crop_gt=False),
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
        data_prefix=data_prefix,
        ann_file='splits/eigen_train_files_with_gt.txt',
        gt_source='annotated',
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
        gt_source='annotated',
        skip_missing_gt=True,  # 697 -> 652 frames
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader

val_evaluator = dict(
    type='DepthMetric', min_depth=1e-3, max_depth=80.0, crop='garg'
)
test_evaluator = val_evaluator
