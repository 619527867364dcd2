# NYU Depth v2 labelled set, 13-class semantic segmentation (Couprie et al.,
# ICLR 2013; Eigen & Fergus, ICCV 2015): the 40-class settings of
# nyu_labeled_seg40.py with the 13-class maps. Official 795 / 654 split;
# aAcc, mAcc, mIoU and fwIoU pooled over the test set (Couprie et al. 2013,
# Eigen & Fergus 2015, MTAN (Liu et al., CVPR 2019)). Labels are stored as
# 0 = void, 1..13 and loaded as 0..12 with void -> 255 (ignored). The
# 40 -> 13 map is that of class13Mapping.mat (door -> wall, blinds/curtain
# -> window, ...).
_base_ = './nyu_labeled_seg40.py'

num_classes = 13
train_pipeline = [
    dict(step, num_classes=num_classes) if step.type == 'LoadSemSeg' else step
    for step in _base_.train_pipeline
]
test_pipeline = [
    dict(step, num_classes=num_classes) if step.type == 'LoadSemSeg' else step
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
