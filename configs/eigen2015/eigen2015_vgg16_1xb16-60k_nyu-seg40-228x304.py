# Eigen & Fergus 2015, VGG16, semantic labelling of NYU Depth v2 with 40
# classes, RGB input. The release's labelling networks are separate models
# that also read depth and normals ("rgbdn"); their input widths are not
# published, so this config is the RGB-only variant (append the other
# channels through `decoder.in_channels` and the pipeline if you have
# them). The scale-2 class scores are concatenated to all 64 pooled
# conv_s3_1 channels (s3_concat='append'; the depth + normals model
# replaces the first 4 instead). Stages and schedule as depth + normals.
_base_ = [
    '../_base_/models/eigen2015_vgg16.py',
    '../_base_/datasets/nyu_eigen2015_seg40.py',
    '../_base_/schedules/eigen2015_sgd.py',
    '../_base_/default_runtime.py',
]

model = dict(
    tasks=('seg',),
    num_classes=40,
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
