# PMBANet x2, Middlebury 2005 protocol of the paper (six test scenes at
# full size, OpenCV-bicubic LR on 8 bits, RMSE / MAD on 0..255, no border).
# The training images of the paper are not published: the dataset config
# trains on the user's split 'train' (random 256 x 256 crops, flips).
# Schedule of the release (color-guided/train.py): Adam 1e-4, batch 8, L1,
# 400 epochs, lr / 10 at epochs 100 and 200. The loader is iteration-based
# (InfiniteSampler), so epochs are expressed as iterations with
# epoch_iters = iterations per epoch: 1000 assumed here (8000 crops per
# epoch); set it to len(train set) / 8 for a given training set.
_base_ = [
    '../_base_/models/pmbanet.py',
    '../_base_/datasets/middlebury2005_dsr_x2.py',
    '../_base_/default_runtime.py',
]

epoch_iters = 1000
model = dict(scale_factor=2, test_cfg=dict(mode='whole'))
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
default_hooks = dict(
    checkpoint=dict(interval=20 * epoch_iters, max_keep_ckpts=3)
)
