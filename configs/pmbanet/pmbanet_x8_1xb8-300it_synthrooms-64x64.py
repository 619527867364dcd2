# PMBANet x8 on the built-in SynthRooms DSR data (grid 64 x 64 HR patches,
# each normalised by its LR maximum; whole-image test by tiles with the same
# rule). The paper's network, loss and optimiser with a small budget: a
# smoke run on a CPU, not a reproduction (35.5 M parameters; ~2.6 s per
# iteration with one thread on a 2-core CPU, i.e. ~13 min for 300). The
# recipe that learns on SynthRooms is the 1200-iteration config beside it.
_base_ = [
    '../_base_/models/pmbanet.py',
    '../_base_/datasets/synthrooms_dsr_x8.py',
    '../_base_/default_runtime.py',
]

model = dict(
    scale_factor=8,
    # 64 x 64 HR tiles: LR tiles 8 x 8, divisible by 4 as the network needs;
    # overlapping and linearly blended against tile seams (as v2 / v3,
    # configs/v3_fusion/README.md "Tile seams")
    test_cfg=dict(
        mode='slide',
        patch_size=(64, 64),
        stride=(48, 48),
        blend='linear',
        normalize='max',
    ),
)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.999), eps=1e-8),
)
param_scheduler = [
    # the release divides the rate by 10 at 1/4 and 1/2 of the schedule
    dict(
        type='MultiStepLR',
        milestones=[75, 150],
        gamma=0.1,
        by_epoch=False,
        begin=0,
        end=300,
    )
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=300, val_interval=300)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=300))
