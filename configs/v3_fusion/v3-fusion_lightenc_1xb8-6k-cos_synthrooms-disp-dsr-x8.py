# Sim-to-real option over the long schedule: the 6000-iteration v3 recipe
# (v3-fusion_lightenc_1xb8-6k-cos_synthrooms-dsr-x8.py) with half of the
# training frames turned into 8-bit disparity-style maps, as the 1000-it
# option v3-fusion_lightenc_1xb8-1000it-cos_synthrooms-disp-dsr-x8.py.
# Validation and test stay on metric SynthRooms depth. Effect on the real
# sets: configs/v3_fusion/README.md, "Sim-to-real".
_base_ = ['./v3-fusion_lightenc_1xb8-6k-cos_synthrooms-dsr-x8.py']

sample_pipeline = [
    dict(type='RandomDisparityMap', prob=0.5),
    dict(
        type='GenerateLRDepth',
        scale_factor=_base_.scale_factor,
        method='bicubic_pil',
    ),
]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=sample_pipeline)))
