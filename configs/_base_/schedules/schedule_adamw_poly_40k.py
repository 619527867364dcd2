# Iteration-based AdamW (the usual optimiser of monocular depth networks,
# e.g. BTS / AdaBins): lr 1e-4, weight decay 0.01; linear warm-up over the
# first 1000 iterations from 1e-3 x lr, then polynomial decay (power 0.9)
# to 1e-6 at 40k iterations.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.01
    ),
    clip_grad=None,
)
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=False,
        begin=0,
        end=1000,
    ),
    dict(
        type='PolyLR',
        eta_min=1e-6,
        power=0.9,
        begin=1000,
        end=40000,
        by_epoch=False,
    ),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=40000, val_interval=4000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
