# Eigen 2014, stage 2 (fine network, coarse frozen) on SynthRooms.
_base_ = ['./eigen2014-coarse_alexnet_1xb8-150it_synthrooms-228x304.py']

model = dict(stage='fine')
train_cfg = dict(max_iters=100, val_interval=100)
default_hooks = dict(checkpoint=dict(interval=100))
load_from = 'work_dirs/eigen2014-coarse_alexnet_1xb8-150it_synthrooms-228x304/iter_150.pth'
