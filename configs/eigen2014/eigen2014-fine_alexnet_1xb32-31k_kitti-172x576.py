# Eigen 2014, stage 2 on KITTI: the fine network on the bottom 116 rows,
# coarse network frozen. ~1M training samples (paper) / batch 32 = 31k
# iterations.
_base_ = ['./eigen2014-coarse_alexnet_1xb32-47k_kitti-172x576.py']

model = dict(stage='fine')
train_cfg = dict(max_iters=31000, val_interval=5000)
load_from = (
    'work_dirs/eigen2014-coarse_alexnet_1xb32-47k_kitti-172x576/iter_47000.pth'
)
