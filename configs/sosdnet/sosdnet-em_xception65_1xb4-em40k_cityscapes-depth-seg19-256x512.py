# SOSD-Net with its EM-like alternating training (the paper's "ESOSD-Net"
# row of the Cityscapes table: mIoU 68.2, disparity error 2.41 px).
_base_ = [
    '../_base_/models/sosdnet_xception65.py',
    '../_base_/datasets/cityscapes_depth_seg19_256x512.py',
    '../_base_/schedules/sosdnet_em_sgd_poly_40k.py',
]
model = dict(num_classes=19)
