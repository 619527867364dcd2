# NYU Depth v2 labelled set, joint depth + 40-class segmentation (SOSD-Net,
# PAD-Net, MTAN-style protocols): official 795 training / 654 test frames,
# training on the in-painted depth, depth evaluated against the raw Kinect
# depth with the Eigen crop (as nyu_labeled_depth.py), segmentation on the
# 40-class map with void ignored (as nyu_labeled_seg40.py).
# Data: tools/dataset_converters/nyu.py -> data/nyu_labeled.
_base_ = ['./nyu_labeled_depth.py']

num_classes = 40

train_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDepth', depth_scale=1000.0),  # uint16 millimetres
    dict(type='LoadSemSeg', num_classes=num_classes, reduce_zero_label=True),
    dict(type='FixedCrop', box=(45, 472, 43, 608)),  # BTS NYU crop
    dict(type='RandomCrop', crop_size={{_base_.crop_size}}),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomColorGain', gain_range=(0.9, 1.1)),
    dict(type='PackDenseInputs'),
]
test_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDepth', depth_scale=1000.0),
    dict(type='LoadSemSeg', num_classes=num_classes, reduce_zero_label=True),
    dict(type='PackDenseInputs'),
]
train_dataloader = dict(
    dataset=dict(seg_classes=num_classes, pipeline=train_pipeline)
)
val_dataloader = dict(
    dataset=dict(seg_classes=num_classes, pipeline=test_pipeline)
)
test_dataloader = val_dataloader

val_evaluator = [
    dict(
        type='DepthMetric',
        min_depth=1e-3,
        max_depth=10.0,
        crop='eigen_nyu',
        prefix='depth',
    ),
    dict(type='SegMetric', num_classes=num_classes, ignore_index=255),
]
test_evaluator = val_evaluator
