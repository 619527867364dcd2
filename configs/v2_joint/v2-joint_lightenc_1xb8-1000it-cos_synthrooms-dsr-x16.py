# The fast v2 recipe (v2-joint_lightenc_1xb8-1000it-cos_synthrooms-dsr-x8.py)
# at x16: the same 64 x 64 HR grid patches, per-patch min-max normalisation,
# tiling and schedule; only the PIL bicubic degradation and the model's
# scale factor change (as the v3 x4 / x16 configs). Trained on SynthRooms
# only; its real-set numbers (tools/analysis_tools/sim2real.py) are in
# configs/v3_fusion/README.md, "Sim-to-real".
_base_ = ['./v2-joint_lightenc_1xb8-1000it-cos_synthrooms-dsr-x8.py']

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
