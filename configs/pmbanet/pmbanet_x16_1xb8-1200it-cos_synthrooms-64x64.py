# The PMBANet SynthRooms recipe (pmbanet_x8_1xb8-1200it-cos_synthrooms-64x64.py)
# at x16: the same 64 x 64 HR grid patches (LR 4 x 4, the smallest size the
# network takes), min-max normalisation, tiling, Adam 1e-4 and cosine over
# 1200 iterations; only the PIL bicubic degradation and the network's scale
# factor change. Trained on SynthRooms only; its real-set numbers
# (tools/analysis_tools/sim2real.py) are in configs/v3_fusion/README.md,
# "Sim-to-real".
_base_ = ['./pmbanet_x8_1xb8-1200it-cos_synthrooms-64x64.py']

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
