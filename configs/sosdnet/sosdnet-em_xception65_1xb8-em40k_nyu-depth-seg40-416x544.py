# SOSD-Net with the EM-like training on NYU Depth v2 labelled (795 train /
# 654 test, 40 classes + depth); trained on 416 x 544 crops, evaluated on
# the full 480 x 640 frames (the paper's resolution).
_base_ = [
    '../_base_/models/sosdnet_xception65.py',
    '../_base_/datasets/nyu_labeled_depth_seg40.py',
    '../_base_/schedules/sosdnet_em_sgd_poly_40k.py',
]
model = dict(num_classes=40)
