# NYU Depth v2 labelled set, surface normals on the official 795 / 654 split
# (Silberman et al. 2012). Ground truth: normals that the converter fits to
# the in-painted depth (least-squares planes over 17 x 17 pixels, camera
# frame, towards the camera), kept only where the raw Kinect depth is valid
# (Fouhey's advice on evaluating normals). Eigen & Fergus (ICCV 2015)
# trained on normals fitted to depth in the same way; most papers evaluate
# against the Ladicky et al. (ECCV 2014) normals instead, so numbers are
# not directly comparable with theirs. Angles pooled over all valid test
# pixels: mean, median, % < 11.25 / 22.5 / 30 deg.
# Data: tools/dataset_converters/nyu.py -> data/nyu_labeled.
dataset_type = 'NYULabeledDataset'
data_root = 'data/nyu_labeled'
crop_size = (416, 544)

train_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadNormal', encoding='png'),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),  # negates n_x
    dict(type='RandomColorGain', gain_range=(0.9, 1.1)),
    dict(type='PackDenseInputs'),
]
test_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadNormal', encoding='png'),
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
        split='train',  # 795 frames
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
        with_normal=True,
        test_mode=True,
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader

val_evaluator = dict(type='NormalMetric')
test_evaluator = val_evaluator
