# SOSD-Net, Xception-65, Cityscapes 256 x 512 (19 classes + depth from
# disparity), joint training with the summed losses (no EM schedule): the
# common model of the EM run and of the loss-balancing baselines of the
# paper's Cityscapes table (Kendall, GradNorm, MGDA), which the sibling
# configs add one balancer each to.
_base_ = [
    '../_base_/models/sosdnet_xception65.py',
    '../_base_/datasets/cityscapes_depth_seg19_256x512.py',
    '../_base_/schedules/schedule_sgd_poly_40k.py',
    '../_base_/default_runtime.py',
]
model = dict(num_classes=19)
