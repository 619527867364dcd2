# NYU Depth v2 semantic labelling for Eigen & Fergus 2015 with the
# 13 classes (Couprie et al. 2013 map of the 40 classes; labels 0 = void -> 255, 1..13 -> 0..12).
# Everything else as nyu_eigen2015_seg40.py.
_base_ = './nyu_eigen2015_seg40.py'

num_classes = 13
load_seg = dict(
    type='LoadSemSeg', num_classes=num_classes, reduce_zero_label=True
)
train_pipeline = [
    load_seg if step.type == 'LoadSemSeg' else step
    for step in _base_.train_pipeline
]
test_pipeline = [
    load_seg if step.type == 'LoadSemSeg' else step
    for step in _base_.test_pipeline
]
train_dataloader = dict(
    dataset=dict(seg_classes=num_classes, pipeline=train_pipeline)
)
val_dataloader = dict(
    dataset=dict(seg_classes=num_classes, pipeline=test_pipeline)
)
test_dataloader = val_dataloader
val_evaluator = dict(num_classes=num_classes)
test_evaluator = val_evaluator
