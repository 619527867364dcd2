# The fast v3 recipe at x16: the x4 config
# (v3-fusion_lightenc_1xb8-1000it-cos_synthrooms-dsr-x4.py) with scale
# factor 16. Trained on SynthRooms only; its real-set numbers
# (tools/analysis_tools/sim2real.py) are in configs/v3_fusion/README.md,
# "Sim-to-real".
_base_ = ['./v3-fusion_lightenc_1xb8-1000it-cos_synthrooms-dsr-x4.py']

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
model = dict(scale_factor=scale_factor)
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=sample_pipeline)))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
