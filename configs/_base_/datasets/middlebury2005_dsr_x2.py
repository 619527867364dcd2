# Middlebury 2005, PMBANet protocol, x2: the x4 settings with another
# scale factor (see middlebury2005_dsr_x4.py for units and protocol).
_base_ = './middlebury2005_dsr_x4.py'

scale_factor = 2
train_pipeline = [
    dict(step, scale_factor=scale_factor)
    if step.type == 'GenerateLRDepth'
    else step
    for step in _base_.train_pipeline
]
test_pipeline = [
    dict(step, scale_factor=scale_factor)
    if step.type == 'GenerateLRDepth'
    else step
    for step in _base_.test_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
