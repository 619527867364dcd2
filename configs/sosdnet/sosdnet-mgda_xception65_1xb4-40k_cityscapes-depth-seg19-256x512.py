# SOSD-Net without the EM schedule, losses weighed by MGDA: Sener and Koltun, NeurIPS 2018 (table row Ozan).
_base_ = ['./sosdnet_xception65_1xb4-40k_cityscapes-depth-seg19-256x512.py']
model = dict(balancer=dict(type='MGDA'))
