# Eigen 2014, stage 2: the fine network on NYU, trained on the outputs of the
# frozen stage-1 coarse network (no backprop into it).
# ~1.5M training samples (paper) / batch 32 = 47k iterations.
_base_ = ['./eigen2014-coarse_alexnet_1xb32-62.5k_nyu-228x304.py']

model = dict(stage='fine')
train_cfg = dict(max_iters=47000, val_interval=5000)
# Stage-1 checkpoint (train the coarse config first, default work_dir).
load_from = (
    'work_dirs/eigen2014-coarse_alexnet_1xb32-62.5k_nyu-228x304/iter_62500.pth'
)
