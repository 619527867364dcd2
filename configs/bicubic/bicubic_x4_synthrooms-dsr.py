# Bicubic upsampling of the LR depth, x4, on SynthRooms DSR: the x8 config
# (bicubic_x8_synthrooms-dsr.py) on the x4 data. The baseline of the x4
# SynthRooms recipes (configs/v3_fusion). Test with
# `python tools/test.py THIS_CONFIG none`.
_base_ = [
    './bicubic_x8_synthrooms-dsr.py',
]

scale_factor = 4
test_pipeline = [
    dict(step, scale_factor=scale_factor)
    if step.type == 'GenerateLRDepth'
    else step
    for step in _base_.test_pipeline
]
model = dict(scale_factor=scale_factor)
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
