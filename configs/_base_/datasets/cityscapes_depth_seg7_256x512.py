# Cityscapes multi-task protocol at 256 x 512 with the 7 categories (flat,
# construction, object, nature, sky, human, vehicle; void ignored), the
# "7-class" setting of MTAN (Liu et al., CVPR 2019). Everything else as in
# cityscapes_depth_seg19_256x512.py.
_base_ = ['./cityscapes_depth_seg19_256x512.py']

seg_classes = 7

train_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDisparityDepth'),
    dict(type='LoadSemSeg', num_classes=seg_classes),
    dict(type='Resize', scale={{_base_.img_scale}}, interpolation='area'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDenseInputs'),
]
test_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDisparityDepth'),
    dict(type='LoadSemSeg', num_classes=seg_classes),
    dict(type='Resize', scale={{_base_.img_scale}}, interpolation='area'),
    dict(type='PackDenseInputs'),
]

train_dataloader = dict(
    dataset=dict(seg_classes=seg_classes, pipeline=train_pipeline)
)
val_dataloader = dict(
    dataset=dict(seg_classes=seg_classes, pipeline=test_pipeline)
)
test_dataloader = val_dataloader

val_evaluator = [
    dict(type='DepthMetric', min_depth=1e-3, max_depth=200.0, prefix='depth'),
    dict(type='DisparityMetric', averaging='pixel'),
    dict(type='SegMetric', num_classes=seg_classes, ignore_index=255),
]
test_evaluator = val_evaluator
