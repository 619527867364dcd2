# v1: PMBANet (guided depth SR, with its colour branch) and CLIFFNet
# (monocular depth) side by side, coupled only through the losses:
# reconstruction (SR vs GT, loss_sr), estimation (MDE vs GT, CLIFFNet's
# loss_depth_*) and consistency (SR vs MDE, loss_depth_consistency), all in
# metres. Each branch normalises the 0..255 RGB image as its paper does.
_base_ = ['./cliffnet_r50.py']

model = dict(
    _delete_=True,
    type='CoupledDepthSR',
    scale_factor=8,  # set by every config, with sr_decoder.scale_factor
    # raw 0..255 RGB; each branch normalises it (branch_norm)
    data_preprocessor=dict(type='DenseDataPreprocessor'),
    branch_norm=dict(
        sr=dict(mean=[0.0] * 3, std=[255.0] * 3),  # PMBANet: RGB / 255
        depth=_base_.model.data_preprocessor,  # CLIFFNet: BGR - Caffe mean
    ),
    # SR branch: PMBANet (configs/_base_/models/pmbanet.py); its head is
    # the default SRHead(residual=False) with the release's L1 loss
    sr_decoder=dict(
        type='PMBADecoder',
        scale_factor=8,
        guided=True,  # v1 keeps PMBANet's colour-guided branch
        channels=64,
        shallow_channels=256,
        num_stages=None,
        num_af_blocks=4,
        color_stages=(0,),
    ),
    # depth branch: CLIFFNet (configs/_base_/models/cliffnet_r50.py)
    backbone=_base_.model.backbone,
    neck=_base_.model.neck,
    depth_decoder=_base_.model.decoder,
    depth_head=dict(type='CLIFFHead', loss_decode=_base_.model.loss_decode),
    consistency_loss=dict(type='DepthConsistencyLoss', mode='l1'),
    # our choice; the source report gives no values
    loss_weights=dict(rec=1.0, est=1.0, cons=0.1),
    test_cfg=dict(mode='whole'),
)
