# NYU Depth v2 guided depth super-resolution, x4 (protocol of DKN / FDSR /
# DCTNet / JIIF / SGNet: cvlab-yonsei/dkn, yanzq95/SGNet).
# Data: the 1449 labelled frames with the in-painted ("filled") depth,
# 480 x 640; DJF / DKN split: 0-based frames 0..999 train (dsr_train),
# 1000..1448 test (dsr_test, 449 frames). The PNGs store millimetres, the
# literature's .mat metres: <= 0.5 mm of rounding, negligible in cm RMSE.
# Degradation: PIL bicubic (Keys a = -0.5, antialiased) of the HR depth to
# (W/s, H/s), 'bicubic_pil'. Never compare with OpenCV-bicubic (PMBANet
# Middlebury) or nearest-decimation (DJF-era) numbers.
# Normalisation: (d - min) / (max - min) with the min / max of the HR
# ground truth, also at test time (the network input knows the range of the
# answer), as DKN / SGNet / DCTNet do; outputs are de-normalised with the
# same numbers. The literature normalises the HR map and then downsamples;
# here the LR map is made in metres and normalised afterwards. PIL's float
# bicubic weights sum to one, so the two agree to < 1e-6 (tested).
# Metric: per-image RMSE (and MAD) in cm on the image with 6 pixels removed
# on every side, mean over the 449 test images.
dataset_type = 'NYULabeledDataset'
data_root = 'data/nyu_labeled'
scale_factor = 4

train_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDepth', depth_scale=1000.0),  # uint16 mm -> metres
    # random 256 x 256 HR patches (SGNet, JIIF). SGNet also flips vertically;
    # the literature takes min / max of the whole frame before cropping,
    # here they are the patch's (test-time inputs are unaffected).
    dict(type='RandomCrop', crop_size=(256, 256)),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='GenerateLRDepth', scale_factor=scale_factor, method='bicubic_pil'
    ),
    # a crop of a flat wall can be constant: keep it in metres (M = m + 1)
    dict(
        type='NormalizeDepth',
        mode='minmax',
        stats_key='gt_depth',
        degenerate='unit',
    ),
    dict(type='PackDenseInputs'),
]
test_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDepth', depth_scale=1000.0),
    dict(
        type='GenerateLRDepth', scale_factor=scale_factor, method='bicubic_pil'
    ),
    dict(type='NormalizeDepth', mode='minmax', stats_key='gt_depth'),
    dict(type='PackDenseInputs'),
]

train_dataloader = dict(
    batch_size=1,  # DKN, SGNet
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='dsr_train',  # frames 0..999
        depth='filled',
        pipeline=train_pipeline,
    ),
)
# There is no held-out validation split in this protocol: validation runs on
# the test frames only to monitor training. Report the last checkpoint; do
# not select checkpoints on these numbers.
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='dsr_test',  # frames 1000..1448
        depth='filled',
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader

# The filled depth has no holes, so gt > 0 keeps every pixel in the border.
val_evaluator = dict(type='SRMetric', border=6, unit='cm')
test_evaluator = val_evaluator
