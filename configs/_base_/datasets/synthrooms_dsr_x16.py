# SynthRooms guided depth super-resolution, x16: the x8 settings (grid
# patches of 64 x 64 with per-patch max normalisation, PIL bicubic) with
# another scale factor; see synthrooms_dsr_x8.py.
_base_ = './synthrooms_dsr_x8.py'

scale_factor = 16
sample_pipeline = [
    dict(step, scale_factor=scale_factor)
    if step.type == 'GenerateLRDepth'
    else step
    for step in _base_.sample_pipeline
]
test_pipeline = [
    dict(step, scale_factor=scale_factor)
    if step.type == 'GenerateLRDepth'
    else step
    for step in _base_.test_pipeline
]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=sample_pipeline)))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
