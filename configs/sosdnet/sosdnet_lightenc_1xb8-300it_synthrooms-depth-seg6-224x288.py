# The SynthRooms SOSD-Net trained jointly with the summed losses (no EM
# schedule), for the comparison with the -em config.
_base_ = [
    './sosdnet-em_lightenc_1xb8-em300it_synthrooms-depth-seg6-224x288.py'
]
custom_hooks = [dict(type='RNGStateHook')]
