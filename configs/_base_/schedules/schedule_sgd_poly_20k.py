# Iteration-based SGD with polynomial decay (mmsegmentation's schedule_20k):
# lr 0.01 -> 1e-4 with power 0.9, momentum 0.9, weight decay 5e-4.
# Checkpoint/logging intervals live in default_hooks (default_runtime.py).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0005),
    clip_grad=None,
)
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=1e-4,
        power=0.9,
        begin=0,
        end=20000,
        by_epoch=False,
    )
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=20000, val_interval=2000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
