# Eigen & Fergus 2015, VGG16, semantic labelling of NYU Depth v2 with the
# 4 structure classes of Silberman et al. 2012 (floor, structure,
# furniture, prop), RGB input. Model, stages and schedule as
# eigen2015_vgg16_1xb16-60k_nyu-seg40-228x304.py (see there).
_base_ = [
    '../_base_/models/eigen2015_vgg16.py',
    '../_base_/datasets/nyu_eigen2015_seg4.py',
    '../_base_/schedules/eigen2015_sgd.py',
    '../_base_/default_runtime.py',
]

model = dict(
    tasks=('seg',),
    num_classes=4,
    decoder=dict(heads=dict(_delete_=True), s3_concat='append'),
)
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
default_hooks = dict(checkpoint=dict(interval=5000, max_keep_ckpts=2))
