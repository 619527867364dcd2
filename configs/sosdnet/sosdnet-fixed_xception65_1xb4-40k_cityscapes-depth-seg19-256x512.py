# SOSD-Net without the EM schedule, losses weighed by FixedWeighting: uniform task weights (the table's equal-weight baseline).
_base_ = ['./sosdnet_xception65_1xb4-40k_cityscapes-depth-seg19-256x512.py']
model = dict(balancer=dict(type='FixedWeighting'))
