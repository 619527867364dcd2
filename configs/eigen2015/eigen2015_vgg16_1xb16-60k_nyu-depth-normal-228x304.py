# Eigen & Fergus 2015, VGG16, depth + normals on NYU Depth v2, both stages
# in one run (paper section 3.4): scales 1 + 2 for 45k iterations, then
# scale 3 alone on random 55 x 74 crops with scales 1 + 2 frozen for 15k,
# switched by StagedTrainingHook. The paper does not give the 2015 training
# lengths; these are our choice (batch 16 as the release).
_base_ = [
    '../_base_/models/eigen2015_vgg16.py',
    '../_base_/datasets/nyu_eigen2015_depth_normal.py',
    '../_base_/schedules/eigen2015_sgd.py',
    '../_base_/default_runtime.py',
]

scale3_begin = 45000
custom_hooks = [
    dict(type='RNGStateHook'),
    dict(
        type='StagedTrainingHook',
        stages=[
            dict(begin=0, model_stage='scales12'),
            dict(begin=scale3_begin, model_stage='scale3'),
        ],
    ),
]
train_cfg = dict(max_iters=60000, val_interval=5000)
# a checkpoint (weights + SGD momentum) is ~1.7 GB: keep few
default_hooks = dict(checkpoint=dict(interval=5000, max_keep_ckpts=2))
