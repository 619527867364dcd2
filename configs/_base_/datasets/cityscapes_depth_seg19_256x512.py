# Cityscapes multi-task protocol at 256 x 512: depth (from disparity) + 19
# classes, as in Auto-Lambda (Liu et al., TMLR 2022, lorenmt/auto-lambda) and
# the methods compared there; MTAN (Liu et al., CVPR 2019) released the same
# set at 128 x 256 and later 256 x 512. Splits: 2975 gtFine train / 500 val.
# Frames (1024 x 2048) are read in the original layout and resized on the
# fly: image (area interpolation; Auto-Lambda stored PIL-resized PNGs, not
# bit-identical), depth and labels with nearest neighbour, intrinsics scaled,
# so that disparity = baseline * fx / depth is Auto-Lambda's
# (p - 1) / (256 * 4) px. Depth-valued metrics and the disparity error are
# computed at 256 x 512.
dataset_type = 'CityscapesDataset'
data_root = 'data/cityscapes'
seg_classes = 19
img_scale = (256, 512)

train_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDisparityDepth'),
    dict(type='LoadSemSeg', num_classes=seg_classes),
    dict(type='Resize', scale=img_scale, interpolation='area'),
    # Auto-Lambda also takes random 256 x 256 crops for training; add
    # dict(type='RandomCrop', crop_size=(256, 256)) to reproduce it.
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDenseInputs'),
]
test_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDisparityDepth'),
    dict(type='LoadSemSeg', num_classes=seg_classes),
    dict(type='Resize', scale=img_scale, interpolation='area'),
    dict(type='PackDenseInputs'),
]

train_dataloader = dict(
    batch_size=4,  # Auto-Lambda
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',  # 2975 frames
        seg_classes=seg_classes,
        pipeline=train_pipeline,
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
        data_root=data_root,
        split='val',  # 500 frames
        seg_classes=seg_classes,
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader

# Depth caps 1e-3..200 m as in the Monocular-Depth-Estimation-Toolbox
# Cityscapes config: disparities of 1/256 px give depths of over 100 km, and
# beyond ~200 m (2.4 px of disparity at full resolution) the SGM depth is
# mostly quantisation. DepthMetric keys carry the 'depth/' prefix so that
# they can never collide with the other metrics'. DisparityMetric: mean
# |d_pred - d_gt| in px at 512 width, pooled over pixels (the literature's
# "abs err").
val_evaluator = [
    dict(type='DepthMetric', min_depth=1e-3, max_depth=200.0, prefix='depth'),
    dict(type='DisparityMetric', averaging='pixel'),
    dict(type='SegMetric', num_classes=seg_classes, ignore_index=255),
]
test_evaluator = val_evaluator
