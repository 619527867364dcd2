# CLIFFNet (Wang et al., ECCV 2020; scott89/CLIFFNet): ResNet-50 (Caffe
# style) -> FPN with BN -> per-level 3x3 sub-nets -> top-down CLIFF fusion
# -> conv head at stride 4, bilinear to the input size; metric depth.
model = dict(
    type='CLIFFNet',
    # Release input: BGR minus (102.98, 115.95, 122.77), no std. The loaders
    # give RGB; the preprocessor's channel swap makes it BGR before the mean
    # (given in BGR order) is subtracted.
    data_preprocessor=dict(
        type='DenseDataPreprocessor',
        mean=[102.98, 115.95, 122.77],
        std=[1.0, 1.0, 1.0],
        bgr_to_rgb=True,
    ),
    backbone=dict(
        type='ResNet',
        depth=50,
        style='caffe',  # stride on the first 1x1 conv (MSRA / Detectron)
        out_indices=(0, 1, 2, 3),  # res2..res5
        frozen_stages=-1,  # release: freeze_at = 0, everything trained
        norm_eval=False,  # release trains BN
        # The release starts from the MSRA Caffe ImageNet weights, which are
        # not available here: random init. torchvision weights load with
        # torchvision_checkpoint='resnet50-0676ba61.pth' (pytorch-style
        # weights; with style='caffe' the stride moves to the 1x1 conv, see
        # mmdepthsr/models/backbones/resnet.py).
        torchvision_checkpoint=None,
    ),
    neck=dict(
        type='FPN',
        in_channels=(256, 512, 1024, 2048),
        out_channels=256,
        top_down='merged',
    ),
    decoder=dict(
        type='CLIFFDecoder',
        in_channels=256,
        num_levels=4,
        channels=256,
        head_channels=256,
    ),
    # Losses of the CLIFFHead (keys loss_depth_<detail>): pixel L1 over
    # valid ground truth; append a HierarchicalEmbeddingLoss config here
    # for the paper's full objective.
    loss_decode=[dict(type='L1Loss', loss_weight=1.0)],
    test_cfg=dict(clamp=None),
)
