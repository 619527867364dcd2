# SOSD-Net on SynthRooms without the EM schedule, losses weighed by
# uniform weights (FixedWeighting), the 'uniform scaling' row of Sener \& Koltun.
_base_ = ['./sosdnet_lightenc_1xb8-300it_synthrooms-depth-seg6-224x288.py']
model = dict(balancer=dict(type='FixedWeighting'))
