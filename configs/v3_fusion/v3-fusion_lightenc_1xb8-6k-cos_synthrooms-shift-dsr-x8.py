# Sim-to-real option: the 6000-iteration v3 recipe
# (v3-fusion_lightenc_1xb8-6k-cos_synthrooms-dsr-x8.py) with the colour
# guide of half of the training frames moved by up to 3 pixels along each
# axis (RandomGuideShift), as the registration of real RGB-D pairs is
# approximate. Validation and test stay exactly registered. Effect on the
# real sets: configs/v3_fusion/README.md, "Sim-to-real".
_base_ = ['./v3-fusion_lightenc_1xb8-6k-cos_synthrooms-dsr-x8.py']

sample_pipeline = [
    dict(type='RandomGuideShift', max_shift=3, prob=0.5),
    dict(
        type='GenerateLRDepth',
        scale_factor=_base_.scale_factor,
        method='bicubic_pil',
    ),
]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=sample_pipeline)))
