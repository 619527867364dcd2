# Sim-to-real options together: the 6000-iteration v3 recipe with half of
# the training frames as 8-bit disparity maps (RandomDisparityMap, as
# v3-fusion_lightenc_1xb8-6k-cos_synthrooms-disp-dsr-x8.py) and the colour
# guide of half of them moved by up to 3 pixels (RandomGuideShift, as
# v3-fusion_lightenc_1xb8-6k-cos_synthrooms-shift-dsr-x8.py), drawn
# independently. Validation and test stay metric and registered. Effect on
# the real sets: configs/v3_fusion/README.md, "Sim-to-real".
_base_ = ['./v3-fusion_lightenc_1xb8-6k-cos_synthrooms-disp-dsr-x8.py']

sample_pipeline = [
    dict(type='RandomGuideShift', max_shift=3, prob=0.5),
    *_base_.sample_pipeline,
]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=sample_pipeline)))
