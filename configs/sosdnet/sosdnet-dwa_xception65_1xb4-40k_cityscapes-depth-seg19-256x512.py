# SOSD-Net without the EM schedule, losses weighed by DynamicWeightAverage: Liu et al., CVPR 2019 (not in the paper's table).
_base_ = ['./sosdnet_xception65_1xb4-40k_cityscapes-depth-seg19-256x512.py']
model = dict(balancer=dict(type='DynamicWeightAverage'))
