# Eigen & Fergus 2015 three-scale network, VGG16 scale 1, depth + normals
# (the release's joint model; input 3 x 228 x 304, outputs 55 x 74 after
# scale 2 and 109 x 147 after scale 3). Layer tables: the docstrings of
# EigenScale1Head, EigenMultiScaleDecoder and the Eigen2015 task heads.
model = dict(
    type='EigenMultiScale',
    # VGG16 path: RGB minus the VGG mean, no std; scales 2 and 3 undo it
    # and apply (x - 109.314) / 76.183 themselves.
    data_preprocessor=dict(
        type='DenseDataPreprocessor',
        mean=[123.68, 116.779, 103.939],
        std=[1.0, 1.0, 1.0],
    ),
    input_size=(228, 304),
    backbone=dict(
        type='VGG16',
        valid_conv1=True,  # release: conv1_x without padding
        out_indices=(5,),  # pool5: 512 x 7 x 9
        # ImageNet weights in torchvision format (vgg16-397923af.pth):
        # torchvision_checkpoint='checkpoints/vgg16-397923af.pth',
    ),
    tasks=('depth', 'normal'),
    # depth: EigenGradientDepthLoss (log space, weight 1); normals:
    # NormalCosineLoss (weight 10, "scale relative normals cost")
    losses=None,
    # Built in its final stage so that tools/test.py evaluates scale 3; the
    # StagedTrainingHook of the leaf config starts training at 'scales12'.
    stage='scale3',
    scale3_crop=(55, 74),  # scale 3 trains on random 55 x 74 crops
    decoder=dict(
        scale1=dict(feature_scale=0.01),  # release: x 0.01 before full1
        heads=dict(depth=dict(use_prior_bias=True)),  # "depths_bias"
    ),
    log_depth_scale=0.45723134,
)
