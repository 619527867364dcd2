# SOSD-Net on SynthRooms without the EM schedule, losses weighed by
# GradNorm (Chen et al., ICML 2018).
_base_ = ['./sosdnet_lightenc_1xb8-300it_synthrooms-depth-seg6-224x288.py']
model = dict(balancer=dict(type='GradNorm', alpha=1.5))
