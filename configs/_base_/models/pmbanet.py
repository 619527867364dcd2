# PMBANet (Ye et al., IEEE TIP 2020; released code Sunbaoli/PMBANet_DSR,
# color-guided/pmpanet_x{2,4,8,16}.py): K multi-branch aggregation stages
# (3, or 2 at x16), each mapping LR to HR in one transposed-conv step of the
# full factor; HR colour features added in the first stage only.
# Layer table: the docstrings of PMBANet and mmdepthsr/models/layers/
# pmba_blocks.py. The network reads RGB / 255 (mean 0, std 255 below) and
# the LR depth in [0, 1]; its output is the HR depth in the same units.

model = dict(
    type='PMBANet',
    scale_factor=4,  # set by every config
    guided=True,  # False: the depth-only variant (no_color-guided/)
    mid_channels=64,
    shallow_channels=256,
    num_stages=None,  # 3, or 2 at x16 (as the release)
    num_af_blocks=4,
    color_stages=(0,),
    loss_sr=dict(type='L1Loss'),
    test_cfg=dict(mode='whole'),
    data_preprocessor=dict(
        type='DenseDataPreprocessor', mean=[0.0] * 3, std=[255.0] * 3
    ),
    # default init_cfg: Kaiming-normal conv / deconv weights, zero biases
)
