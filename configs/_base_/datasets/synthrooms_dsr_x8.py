# SynthRooms guided depth super-resolution, x8, with the grid-patch
# protocol (README "Patch protocol"): every training image (240 x 320) is
# cut into 64 x 64 HR patches on a regular grid that covers it (rows 0, 64,
# 128, 176; columns 0, 64, 128, 192, 256: 20 patches, the last row
# overlapping), each patch's depths (HR target and LR input) are divided by
# the maximum of its LR depth, and the network output is multiplied back
# before the loss. At test time models tile the whole image with 64 x 64
# tiles and the same per-tile rule, the tiles overlapping (stride 48) and
# linearly blended against tile seams (test_cfg=dict(mode='slide',
# patch_size=(64, 64), stride=(48, 48), blend='linear', normalize='max')
# in the model config), and the stitched depth is evaluated at full
# resolution.
# Patches are shuffled 16 frames at a time (GridPatchSampler): each
# worker keeps those frames (cache_size), so every frame is rendered once
# per pass over the data while a batch of 8 still mixes about 6.5 frames
# (docs/dataset_prepare.md, "Loading each image once: GridPatchSampler").
# Degradation: PIL bicubic (antialiased), as the NYU v2 DSR protocol.
# Both outputs of joint models are evaluated: SRMetric on pred_sr_depth
# (RMSE / MAD in cm, 6 px border) and DepthMetric on pred_depth (joint
# models only; pure DSR models use the first evaluator alone).
dataset_type = 'SynthRoomsDataset'
img_shape = (240, 320)
scale_factor = 8
patch_size = (64, 64)
images_per_group = 16

sample_pipeline = [
    dict(
        type='GenerateLRDepth', scale_factor=scale_factor, method='bicubic_pil'
    ),
]
patch_pipeline = [
    dict(type='NormalizeDepth', mode='max', stats_key='lr_depth'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDenseInputs'),
]
# the same with each patch divided by the min and max of its LR depth (the
# recipes of v2 / v3, PMBANet and v1 use it, with test_cfg normalize='minmax');
# a patch whose LR depth is constant (a flat wall after 8-bit disparity
# quantisation) keeps its metres (max = min + 1), as a test tile would
minmax_patch_pipeline = [
    dict(
        type='NormalizeDepth',
        mode='minmax',
        stats_key='lr_depth',
        degenerate='unit',
    ),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDenseInputs'),
]
test_pipeline = [
    dict(
        type='GenerateLRDepth', scale_factor=scale_factor, method='bicubic_pil'
    ),
    dict(type='PackDenseInputs'),
]

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='GridPatchSampler', images_per_group=images_per_group),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='GridPatchDataset',
        dataset=dict(
            type=dataset_type,
            split='train',  # 1000 scenes x 20 patches
            img_shape=img_shape,
            pipeline=sample_pipeline,
        ),
        patch_size=patch_size,
        img_shape=img_shape,
        pipeline=patch_pipeline,
        cache_size=images_per_group,
    ),
)
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        split='val',  # 100 scenes
        img_shape=img_shape,
        pipeline=test_pipeline,
    ),
)
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        split='test',  # 200 scenes
        img_shape=img_shape,
        pipeline=test_pipeline,
    ),
)

sr_evaluator = dict(type='SRMetric', border=6, unit='cm')
depth_evaluator = dict(type='DepthMetric', min_depth=1e-3, max_depth=10.0)
val_evaluator = sr_evaluator
test_evaluator = val_evaluator
