# SOSD-Net (He et al., arXiv 2101.07422): Xception-65 + ASPP + DeepLabv3+
# decoder (the common representation), a semantic and a depth branch, the
# semantic-to-depth and depth-to-semantic units, predictions upsampled to
# the input size. [V] stated by the paper (as summarised) or DeepLabv3+,
# [I] our reading, [?] not stated (our default); see
# mmdepthsr/models/estimators/sosdnet.py and configs/sosdnet/README.md.
model = dict(
    type='SOSDNet',
    num_classes=19,
    data_preprocessor=dict(
        type='DenseDataPreprocessor',
        # ImageNet statistics of RGB in 0..255
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        size_divisor=16,
    ),
    backbone=dict(type='Xception65', output_stride=16),  # [V] X-65, [I] OS16
    aspp=dict(
        type='ASPP',
        channels=256,  # [V] DeepLabv3+
        output_stride=16,  # rates 6/12/18 [V]
        separable=True,  # [I] DeepLabv3+ Xception setting
        dropout_ratio=0.1,  # [V] DeepLabv3+
    ),
    common_decoder=dict(
        type='DeepLabV3PlusDecoder',
        channels=256,  # [V] DeepLabv3+
        low_level_channels=48,  # [V] the refined fp
        separable=True,  # [?]
    ),
    branch_channels=256,  # [?] width of the task-branch convs
    branch_kernel_size=3,  # [?]
    refine_channels=48,  # [V] refined fp, one 1x1 per branch [I]
    task_channels=48,  # [?] the one task conv on the refined fp
    task_kernel_size=3,  # [?]
    seg_num_convs=1,  # [V] one conv for the semantic features
    depth_num_convs=2,  # [V] two convs for the depth features
    s2d_size_prior='common',  # [V] map A from the common representation
    s2d_map_channels=2,  # [V] 2 -> 1 channel maps
    s2d_map_kernel_size=3,  # [?]
    s2d_norm=True,  # [V] BN in both maps, [I] after the first conv
    d2s_size_prior='common',  # [V] 64/32 convs on the common representation
    d2s_mid_channels=(64, 32),  # [V]
    d2s_kernel_size=3,  # [?]
    pred_kernel_size=3,  # [?] last conv of S2D / D2S
    upsample_to_input=True,  # [V] bilinear x4 to the input size
    loss_depth=dict(type='L1Loss'),  # [?] masked L1 [I]
    loss_seg=dict(type='CrossEntropyLoss', ignore_index=255),  # [I]
    size_divisor=16,
    test_cfg=dict(mode='whole'),
)
