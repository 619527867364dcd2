# NYU Depth v2 semantic labelling for Eigen & Fergus 2015 with the
# 4 structure classes of Silberman et al. 2012 (floor, structure, furniture, prop), read from the 13-class maps through the dataset's per-sample label_map (void -> 255), hence no reduce_zero_label.
# Everything else as nyu_eigen2015_seg40.py.
_base_ = './nyu_eigen2015_seg40.py'

num_classes = 4
load_seg = dict(type='LoadSemSeg', num_classes=num_classes)
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
