# Eigen 2014, stage 1: the coarse network alone on NYU.
# ~2M training samples (paper) / batch 32 = 62,500 iterations.
_base_ = [
    '../_base_/models/eigen2014_nyu.py',
    '../_base_/datasets/nyu_eigen2014.py',
    '../_base_/schedules/eigen2014_sgd.py',
    '../_base_/default_runtime.py',
]

model = dict(stage='coarse')
train_cfg = dict(max_iters=62500, val_interval=5000)
# a checkpoint (weights + SGD momentum) is ~0.6 GB: keep few
default_hooks = dict(checkpoint=dict(interval=5000, max_keep_ckpts=2))
