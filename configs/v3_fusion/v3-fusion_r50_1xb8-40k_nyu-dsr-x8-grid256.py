# v3 joint MDE + DSR (JointDepthSR with DepthGuidedSRFusion at every decoder
# resolution), NYU v2 DSR protocol x8 (train frames 0..999, test 1000..1448,
# PIL-bicubic LR, RMSE / MAD in cm with a 6 px border), trained on grid
# patches: every 480 x 640 training frame is cut into 256 x 256 HR patches
# on a regular grid that covers it (rows 0, 224; columns 0, 256, 384: 6
# patches, overlapping where 256 does not divide the size), each patch's
# LR input divided by its LR maximum (NormalizeDepth(mode='max',
# stats_key='lr_depth')), outputs multiplied back before the losses.
# Patches are shuffled 16 frames at a time (GridPatchSampler, each worker
# caching those frames): every frame is loaded and degraded once per pass
# over the data, a batch of 8 mixes about 6.6 frames.
# Test: the whole frame is tiled on the same 256 x 256 grid (stride 128,
# linear blending), every LR tile normalised by its own LR maximum; the HR
# ground truth never enters the input (the DKN / SGNet protocol normalises
# with the HR min / max instead: see README "Differences").
# Colour encoder: ResNet-50 (res2 .. res5, strides 4 .. 32, each map
# resized x2 onto the 2 .. 16 grid of the decoders); ImageNet weights:
# torchvision_checkpoint='checkpoints/resnet50-0676ba61.pth' in the
# colour_encoder dict (loaded at train time by init_weights).
_base_ = [
    '../_base_/models/joint_v3.py',
    '../_base_/datasets/nyu_dsr_x8.py',
    '../_base_/schedules/schedule_adam_step_40k.py',
    '../_base_/default_runtime.py',
]
scale_factor = 8

model = dict(
    scale_factor=scale_factor,
    colour_encoder=dict(
        _delete_=True, type='ResNet', depth=50, out_indices=(0, 1, 2, 3)
    ),
    depth_encoder=dict(channels=(32, 64, 128, 256)),
    fuse_channels=(64, 128, 256, 512),
    decoder_channels=(256, 128, 64, 32, 32),
    test_cfg=dict(
        mode='slide',
        patch_size=(256, 256),
        stride=(128, 128),
        normalize='max',
        blend='linear',
    ),
)

load_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDepth', depth_scale=1000.0),  # uint16 mm -> metres
    dict(
        type='GenerateLRDepth', scale_factor=scale_factor, method='bicubic_pil'
    ),
]
patch_pipeline = [
    dict(type='NormalizeDepth', mode='max', stats_key='lr_depth'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDenseInputs'),
]
# LR kept in metres: the slide inference normalises every tile itself
test_pipeline = load_pipeline + [dict(type='PackDenseInputs')]

images_per_group = 16
train_dataloader = dict(
    batch_size=8,
    sampler=dict(type='GridPatchSampler', images_per_group=images_per_group),
    dataset=dict(
        _delete_=True,
        type='GridPatchDataset',
        dataset=dict(
            type='NYULabeledDataset',
            data_root='data/nyu_labeled',
            split='dsr_train',  # frames 0..999
            depth='filled',
            pipeline=load_pipeline,
        ),
        patch_size=(256, 256),
        img_shape=(480, 640),
        pipeline=patch_pipeline,
        cache_size=images_per_group,
    ),
)
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# SRMetric and DepthMetric both return `rmse`: the depth keys get a prefix
val_evaluator = [
    dict(type='SRMetric', border=6, unit='cm'),
    dict(type='DepthMetric', min_depth=1e-3, max_depth=10.0, prefix='depth'),
]
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(interval=4000, max_keep_ckpts=3))
