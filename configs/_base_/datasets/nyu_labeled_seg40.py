# NYU Depth v2 labelled set, 40-class semantic segmentation (Gupta, Arbelaez,
# Malik, CVPR 2013 class map): official 795 training / 654 test frames
# (Silberman et al. 2012); pixel accuracy, mean accuracy, mIoU and fwIoU
# pooled over the test set (Gupta et al. 2013, FCN (Long et al. 2015),
# RefineNet, ESANet, SOSD-Net). Labels are stored as 0 = void, 1..40 and
# loaded as 0..39 with void -> 255 (ignored).
# Data: tools/dataset_converters/nyu.py -> data/nyu_labeled.
dataset_type = 'NYULabeledDataset'
data_root = 'data/nyu_labeled'
num_classes = 40
crop_size = (416, 544)

train_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadSemSeg', num_classes=num_classes, reduce_zero_label=True),
    dict(type='RandomScale', scale_range=(1.0, 1.5)),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomColorGain', gain_range=(0.9, 1.1)),
    dict(type='PackDenseInputs'),
]
test_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadSemSeg', num_classes=num_classes, reduce_zero_label=True),
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
        seg_classes=num_classes,
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
        seg_classes=num_classes,
        test_mode=True,
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader

val_evaluator = dict(type='SegMetric', num_classes=num_classes)
test_evaluator = val_evaluator
