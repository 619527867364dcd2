# Your own RGB-D frames for guided depth super-resolution, x8
# (DepthFolderDataset; docs/dataset_prepare.md, "Your own data"): the layout
# of depth_folder_mde.py. The LR input is simulated from the HR depth (PIL
# bicubic, antialiased, as the NYU v2 DSR protocol), so every image's height
# and width must be multiples of the scale factor; for measured LR maps
# (lr_depth/<stem>.png) see the docs.
# Training: random HR crops, each LR crop divided by its LR maximum
# (NormalizeDepth mode='max'), outputs multiplied back before the loss.
# Test: the LR depth stays in metres; the model tiles the image with the
# same per-tile rule (test_cfg=dict(mode='slide', normalize='max') in the
# model config).
dataset_type = 'DepthFolderDataset'
data_root = 'data/my_rgbd'
depth_scale = 1000.0  # stored value per metre: 1000 = millimetre PNGs
scale_factor = 8
crop_size = (128, 128)  # HR training crop, a multiple of scale_factor

train_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDepth'),  # depth_scale from the dataset
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='GenerateLRDepth', scale_factor=scale_factor, method='bicubic_pil'
    ),
    dict(type='NormalizeDepth', mode='max', stats_key='lr_depth'),
    dict(type='PackDenseInputs'),
]
test_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDepth'),
    dict(
        type='GenerateLRDepth', scale_factor=scale_factor, method='bicubic_pil'
    ),
    dict(type='PackDenseInputs'),
]

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        depth_scale=depth_scale,
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        depth_scale=depth_scale,
        test_mode=True,
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader

# SRMetric on pred_sr_depth (RMSE / MAD in cm, 6 px border); joint models
# also score their monocular output with depth_evaluator.
sr_evaluator = dict(type='SRMetric', border=6, unit='cm')
depth_evaluator = dict(type='DepthMetric', min_depth=1e-3, max_depth=10.0)
val_evaluator = sr_evaluator
test_evaluator = val_evaluator
