# v1: PMBANet (guided depth SR, with its colour branch) and CLIFFNet
# (monocular depth) side by side, coupled only through the losses:
# reconstruction (SR vs GT), estimation (MDE vs GT, CLIFFNet's own
# loss_decode) and consistency (SR vs MDE), all in metres. Each network
# normalises the raw RGB image as its own data_preprocessor says.
_base_ = ['./cliffnet_r50.py']

model = dict(
    _delete_=True,
    type='CoupledDepthSR',
    scale_factor=8,  # set by every config, with sr_model.scale_factor
    # raw 0..255 RGB; no normalisation here
    data_preprocessor=dict(type='DenseDataPreprocessor'),
    sr_model=dict(
        type='PMBANet',
        scale_factor=8,
        guided=True,  # v1 keeps PMBANet's colour-guided branch
        mid_channels=64,
        shallow_channels=256,
        num_stages=None,
        num_af_blocks=4,
        color_stages=(0,),
        loss_sr=dict(type='L1Loss'),  # reconstruction loss
        data_preprocessor=dict(
            type='DenseDataPreprocessor', mean=[0.0] * 3, std=[255.0] * 3
        ),
    ),
    mde_model=_base_.model,  # CLIFFNet, pixel L1 (estimation loss)
    consistency_loss=dict(type='DepthConsistencyLoss', mode='l1'),
    # our choice; the source report gives no values
    loss_weights=dict(rec=1.0, est=1.0, cons=0.1),
    test_cfg=dict(mode='whole'),
)
