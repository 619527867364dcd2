# Iteration-based Adam with step decay (the usual optimiser of guided depth
# super-resolution networks): lr 1e-4, halved at 10k, 20k and 30k
# iterations, no weight decay.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.999), weight_decay=0),
    clip_grad=None,
)
param_scheduler = [
    dict(
        type='MultiStepLR',
        milestones=[10000, 20000, 30000],
        gamma=0.5,
        by_epoch=False,
        begin=0,
        end=40000,
    )
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=40000, val_interval=4000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
