# SOSD-Net without the EM schedule, losses weighed by UncertaintyWeighting: Kendall et al., CVPR 2018 (table row Kendall).
_base_ = ['./sosdnet_xception65_1xb4-40k_cityscapes-depth-seg19-256x512.py']
model = dict(balancer=dict(type='UncertaintyWeighting'))
