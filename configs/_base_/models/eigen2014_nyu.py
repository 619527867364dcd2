# Eigen, Puhrsch & Fergus, NIPS 2014: coarse (AlexNet conv1-5 + fc) and fine
# networks for NYU (input 3 x 228 x 304, output 1 x 55 x 74).
# Layer tables: the docstrings of AlexNet, EigenCoarseHead, EigenFineHead.
model = dict(
    type='EigenCoarseFine',
    # The coarse (ImageNet) stack sees x - 128; the fine stack undoes this and
    # applies (x - 109.314) / 76.183 itself (EigenCoarseFine.fine_mean/std).
    data_preprocessor=dict(
        type='DenseDataPreprocessor', mean=[128.0] * 3, std=[1.0] * 3
    ),
    input_size=(228, 304),
    backbone=dict(
        type='AlexNet',
        widths=(96, 256, 384, 384, 256),  # Krizhevsky single tower
        conv1_padding=2,  # cuda-convnet padding rule of the release
        lrn=dict(size=5, alpha=5e-4, beta=0.75, k=2.0),  # CMRNorm
        # The authors' ImageNet weights are not available in PyTorch: random
        # init (set init_cfg=dict(type='Pretrained', ...) to load weights).
        init_cfg=None,
    ),
    coarse_head=dict(
        type='EigenCoarseHead',
        in_channels=256,
        in_size=(6, 8),  # conv5 + pool of a 228 x 304 input
        out_size=(55, 74),  # 74 x 55 (W x H) in the paper
        hidden_channels=4096,
        feature_scale=0.01,  # release: "pretrained features are large"
        dropout=0.5,
    ),
    fine_head=dict(type='EigenFineHead', channels=64, fine1_padding=1),
    loss=dict(
        type='ScaleInvariantLogLoss',
        lambda_=0.5,  # paper eq. (4)
        reduction='eigen',  # the release's n_b^2-weighted batch form
    ),
    # Target space t = ln(depth) / 0.45723134 (release, NYU log-depth std).
    log_depth_scale=0.45723134,
    stage='coarse',  # 'fine' for the second stage (coarse frozen)
    gt_sampling='nearest',
)
