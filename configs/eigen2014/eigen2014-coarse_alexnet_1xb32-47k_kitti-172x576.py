# Eigen 2014, stage 1 on KITTI: the coarse network, input 172 x 576,
# output 27 x 142. ~1.5M training samples (paper) / batch 32 = 47k iterations.
_base_ = [
    '../_base_/models/eigen2014_kitti.py',
    '../_base_/datasets/kitti_eigen2014.py',
    '../_base_/schedules/eigen2014_sgd.py',
    '../_base_/default_runtime.py',
]

model = dict(stage='coarse')
train_cfg = dict(max_iters=47000, val_interval=5000)
# a checkpoint (weights + SGD momentum) is ~0.6 GB: keep few
default_hooks = dict(checkpoint=dict(interval=5000, max_keep_ckpts=2))
