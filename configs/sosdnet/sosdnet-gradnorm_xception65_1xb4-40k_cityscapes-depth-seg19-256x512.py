# SOSD-Net without the EM schedule, losses weighed by GradNorm: Chen et al., ICML 2018 (table row GradNorm).
_base_ = ['./sosdnet_xception65_1xb4-40k_cityscapes-depth-seg19-256x512.py']
model = dict(balancer=dict(type='GradNorm'))
