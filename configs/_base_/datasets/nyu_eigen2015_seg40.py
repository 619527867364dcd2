# NYU Depth v2 semantic labelling for Eigen & Fergus 2015, 40 classes
# (Gupta et al. 2013 map): official 795 / 654 labelled split, frames
# resized to 320 x 240 and cropped to 304 x 228 as for depth (paper
# augmentation), aAcc / mAcc / mIoU / fwIoU pooled over the 654 test frames
# at full resolution. Labels: 0 = void -> 255, 1..40 -> 0..39.
# Data: tools/dataset_converters/nyu.py -> data/nyu_labeled.
dataset_type = 'NYULabeledDataset'
data_root = 'data/nyu_labeled'
num_classes = 40

load_seg = dict(
    type='LoadSemSeg', num_classes=num_classes, reduce_zero_label=True
)
train_pipeline = [
    dict(type='LoadRGBImage'),
    load_seg,
    dict(type='Resize', scale=(240, 320)),
    dict(type='RandomScale', scale_range=(1.0, 1.5)),
    dict(type='RandomRotate', max_angle=5.0),
    dict(type='RandomCrop', crop_size=(228, 304)),
    dict(type='RandomColorGain', gain_range=(0.8, 1.2)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDenseInputs'),
]
test_pipeline = [
    dict(type='LoadRGBImage'),
    load_seg,
    dict(type='Resize', scale=(228, 304), resize_gt=False),
    dict(type='PackDenseInputs'),
]

train_dataloader = dict(
    batch_size=16,
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
