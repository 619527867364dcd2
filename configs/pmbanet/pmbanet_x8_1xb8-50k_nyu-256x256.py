# PMBANet x8 on the NYU v2 DSR protocol (1000 training / 449 test frames,
# PIL-bicubic LR, per-image min-max normalisation, RMSE in cm with a 6 px
# border). The paper reports Middlebury 2005; this config retrains it on
# NYU v2 with the release's optimiser: Adam 1e-4, batch 8 (256 x 256
# crops), L1, 400 epochs of 1000 / 8 = 125 iterations = 50k iterations,
# lr / 10 at epochs 100 and 200 (12.5k, 25k). Test on whole 480 x 640
# frames: LR 60 x 80, divisible by 4 as the network needs.
_base_ = [
    '../_base_/models/pmbanet.py',
    '../_base_/datasets/nyu_dsr_x8.py',
    '../_base_/default_runtime.py',
]

model = dict(scale_factor=8, test_cfg=dict(mode='whole'))
train_dataloader = dict(batch_size=8)  # PMBANet train.py (DKN: 1)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.999), eps=1e-8),
)
param_scheduler = [
    dict(
        type='MultiStepLR',
        milestones=[12500, 25000],
        gamma=0.1,
        by_epoch=False,
        begin=0,
        end=50000,
    )
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=50000, val_interval=5000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(interval=5000, max_keep_ckpts=3))
