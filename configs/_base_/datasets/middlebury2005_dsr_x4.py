# Middlebury 2005, PMBANet protocol (Ye et al., IEEE TIP 2020; test data and
# metric script in Sunbaoli/PMBANet_DSR): guided depth SR of the six scenes
# Art, Books, Dolls, Laundry, Moebius, Reindeer at full size (1344 x 1088,
# Laundry and Reindeer 1280 x 1088), hole-filled 8-bit disparity.
#
# UNITS: the maps are 8-bit grey levels 0..255, NOT metres. gt_depth,
# pred_sr_depth and the metrics are all in grey levels (unit='raw').
#
# Degradation: OpenCV INTER_CUBIC (a = -0.75, no antialiasing) on the uint8
# map, rounded to uint8 ('bicubic_cv2_uint8'); this reproduces PMBANet's
# shipped LR files exactly at x2/x4/x8. Never compare with the NYU protocol
# (PIL antialiased bicubic on floats) or the DJF-era nearest decimation.
# Network input: lr / 255 as PMBANet's ToTensor (NormalizeDepth 'fixed');
# estimators de-normalise outputs back to grey levels.
# Metric: per-image RMSE and MAD on 0..255, whole image (no border), of the
# prediction rounded to 8 bits (PMBANet scores saved 8-bit PNGs), mean over
# the six scenes.
# Data: tools/dataset_converters/middlebury.py (see docs/dataset_prepare.md).
dataset_type = 'Middlebury2005Dataset'
data_root = 'data/middlebury2005'
scale_factor = 4

train_pipeline = [
    dict(type='LoadRGBImage'),
    # 8-bit by design: uint8 PNG -> floats 0..255.
    dict(type='LoadDepth', depth_scale=1.0, allow_8bit=True),
    # PMBANet's training images are not published; it trains on pre-cut
    # patches with horizontal/vertical flips and transposition. Here: random
    # 256 x 256 crops and horizontal flips.
    dict(type='RandomCrop', crop_size=(256, 256)),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='GenerateLRDepth',
        scale_factor=scale_factor,
        method='bicubic_cv2_uint8',
    ),
    dict(type='NormalizeDepth', mode='fixed', value_range=(0.0, 255.0)),
    dict(type='PackDenseInputs'),
]
test_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDepth', depth_scale=1.0, allow_8bit=True),
    dict(
        type='GenerateLRDepth',
        scale_factor=scale_factor,
        method='bicubic_cv2_uint8',
    ),
    dict(type='NormalizeDepth', mode='fixed', value_range=(0.0, 255.0)),
    dict(type='PackDenseInputs'),
]

# Training scenes are the user's choice (PMBANet's are unknown), e.g. the
# Middlebury 2006 scenes converted with
#   tools/dataset_converters/middlebury.py SRC data/middlebury2005 \
#       --split train --scenes Aloe Baby1 ...
# which writes splits/train.txt. Never train on the six test scenes.
train_dataloader = dict(
    batch_size=8,  # PMBANet train.py
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
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
        split='test',  # the six scenes
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader

val_evaluator = dict(type='SRMetric', border=0, unit='raw', quantize='uint8')
test_evaluator = val_evaluator
