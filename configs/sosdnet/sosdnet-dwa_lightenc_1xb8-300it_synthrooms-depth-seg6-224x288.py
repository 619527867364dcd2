# SOSD-Net on SynthRooms without the EM schedule, losses weighed by
# DynamicWeightAverage (Liu et al., CVPR 2019).
_base_ = ['./sosdnet_lightenc_1xb8-300it_synthrooms-depth-seg6-224x288.py']
# period of 25 iterations: 12 periods in the 300-iteration budget
model = dict(balancer=dict(type='DynamicWeightAverage', period=25))
