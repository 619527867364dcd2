# v2 joint MDE + DSR model (JointDepthSR without interaction units): a
# colour encoder over the HR image and a depth encoder over the bicubic-
# upsampled LR depth (strides 2, 4, 8, 16), features fused scale by scale
# (concat + conv), an MDE decoder and an SR decoder, each predicting at
# 1/16, 1/8, 1/4, 1/2 and 1 with a loss at every resolution. The dataset
# config sets `scale_factor`; method configs override it in the model.
model = dict(
    type='JointDepthSR',
    scale_factor=8,
    data_preprocessor=dict(
        type='DenseDataPreprocessor',
        # ImageNet statistics of RGB in 0..255
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        size_divisor=16,
    ),
    colour_encoder=dict(
        type='LightConvEncoder', in_channels=3, channels=(32, 64, 128, 256)
    ),
    depth_encoder=dict(
        type='LightConvEncoder', in_channels=1, channels=(32, 64, 128, 256)
    ),
    fuse_channels=(32, 64, 128, 256),
    decoder_channels=(128, 64, 32, 16, 16),
    mde_input='fused',
    sr_residual=True,
    upsample_mode='bicubic',
    # v3 switches, off here (not listed so that child configs can set them
    # as dicts): sr_fusion, depth_fusion, num_classes, sem_to_depth,
    # depth_to_sem
    fusion_stages=(0, 1, 2, 3, 4),
    loss_sr=dict(type='L1Loss'),
    loss_depth=dict(type='L1Loss'),
    # per scale: 1/16, 1/8, 1/4, 1/2, 1
    sr_loss_weights=(0.125, 0.25, 0.5, 0.5, 1.0),
    depth_loss_weights=(0.125, 0.25, 0.5, 0.5, 1.0),
    gt_downsample='masked_mean',
    test_cfg=dict(mode='whole'),
)
