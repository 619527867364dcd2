# PMBANet schedule of the release (Sunbaoli/PMBANet_DSR,
# color-guided/train.py): Adam 1e-4 (betas 0.9 / 0.999, eps 1e-8), batch 8,
# 400 epochs, lr / 10 at epochs 100 and 200. The loaders are
# iteration-based (InfiniteSampler), so epochs are expressed as
# iterations: epoch_iters = iterations per epoch (1000 assumed here, i.e.
# 8000 crops per epoch; set it to len(train set) / 8 in a leaf config and
# restate the entries below that use it).
epoch_iters = 1000
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.999), eps=1e-8),
)
param_scheduler = [
    dict(
        type='MultiStepLR',
        milestones=[100 * epoch_iters, 200 * epoch_iters],
        gamma=0.1,
        by_epoch=False,
        begin=0,
        end=400 * epoch_iters,
    )
]
train_cfg = dict(
    type='IterBasedTrainLoop',
    max_iters=400 * epoch_iters,
    val_interval=20 * epoch_iters,
)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
