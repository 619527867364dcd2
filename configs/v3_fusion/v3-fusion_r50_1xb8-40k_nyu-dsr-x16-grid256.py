# The x8 NYU v3 config (v3-fusion_r50_1xb8-40k_nyu-dsr-x8-grid256.py) at
# x16: same grid patches, tiling and metrics, LR made with factor 16.
_base_ = ['./v3-fusion_r50_1xb8-40k_nyu-dsr-x8-grid256.py']
scale_factor = 16

model = dict(scale_factor=scale_factor)
load_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDepth', depth_scale=1000.0),
    dict(
        type='GenerateLRDepth', scale_factor=scale_factor, method='bicubic_pil'
    ),
]
test_pipeline = load_pipeline + [dict(type='PackDenseInputs')]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=load_pipeline)))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
