# SOSD-Net on SynthRooms without the S2D / D2S units: both branches meet
# only in the shared part (the "do the units help" row of the comparison).
_base_ = ['./sosdnet_lightenc_1xb8-300it_synthrooms-depth-seg6-224x288.py']
model = dict(units=False)
