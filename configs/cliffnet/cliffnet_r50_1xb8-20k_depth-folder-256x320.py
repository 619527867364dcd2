# CLIFFNet (ResNet-50) on your own RGB-D frames (configs/_base_/datasets/
# depth_folder_mde.py: data/my_rgbd, millimetre PNGs, splits train / val),
# with the optimiser of the NYU config (Adam 1e-4, weight decay 1e-4
# without BN / biases) and a 20k-iteration budget to adjust to the data.
# ImageNet weights help on small sets: torchvision_checkpoint=
# 'checkpoints/resnet50-0676ba61.pth' in model.backbone.
_base_ = [
    '../_base_/models/cliffnet_r50.py',
    '../_base_/datasets/depth_folder_mde.py',
    '../_base_/default_runtime.py',
]

# 0 means "no prediction" to DepthMetric: clip to [1 mm, max_depth].
model = dict(test_cfg=dict(clamp=(1e-3, _base_.max_depth)))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='Adam', lr=1e-4, betas=(0.9, 0.999), weight_decay=1e-4
    ),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0),
    clip_grad=None,
)
max_iters = 20000
param_scheduler = [
    dict(
        type='MultiStepLR',
        milestones=[12000, 16000],
        gamma=0.1,
        by_epoch=False,
        begin=0,
        end=max_iters,
    )
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=2000
)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(interval=2000))
