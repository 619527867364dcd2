# DeepLabv3+ (Chen et al., ECCV 2018) with the modified Xception-65 as a
# MultiTaskEncoderDecoder with one task: backbone -> ASPP -> decoder ->
# 1x1 classifier, logits upsampled x4 to the input size before the loss.
# Set heads.seg.num_classes (and the decoder's task key) in the method
# config.
model = dict(
    type='MultiTaskEncoderDecoder',
    # Xception input normalisation of the TF release: x / 127.5 - 1
    data_preprocessor=dict(
        type='DenseDataPreprocessor',
        mean=[127.5, 127.5, 127.5],
        std=[127.5, 127.5, 127.5],
    ),
    # returns (stride-4 low-level map 256 ch, final map 2048 ch)
    backbone=dict(type='Xception65', output_stride=16),
    neck=dict(
        type='ASPP',
        channels=256,  # paper: 256 per branch and after the projection
        output_stride=16,  # atrous rates 6 / 12 / 18 (paper, OS16)
        separable=True,  # paper's Xception models: separable ASPP
        dropout_ratio=0.1,  # TF release: keep_prob 0.9
    ),
    decoders=dict(
        seg=dict(
            type='DeepLabV3PlusDecoder',
            channels=256,  # paper: two 3x3 convs of 256
            low_level_channels=48,  # paper: 1x1 projection to 48
            separable=True,  # paper's Xception models: separable decoder
        )
    ),
    heads=dict(
        seg=dict(
            type='SegHead',
            num_classes=19,
            kernel_size=1,  # paper: 1x1 classifier with bias
            # paper: logits upsampled x4 bilinearly, loss at label size
            upsample_to_input=True,
            ignore_index=255,
            # TF release: classifier initialised with std 0.01
            init_cfg=dict(type='Normal', layer='Conv2d', std=0.01),
        )
    ),
    size_divisor=16,  # the output stride
    test_cfg=dict(mode='whole'),
)
