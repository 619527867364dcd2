# DeepLabv3+ with Xception-65 at output stride 16, separable ASPP and
# decoder: the single-task segmentation baseline on the 256 x 512 Cityscapes
# multi-task protocol (19 classes), trained from scratch unless the
# backbone is given Xception-65 ImageNet weights (timm's xception65 ports
# the TF ones).
_base_ = [
    '../_base_/models/deeplabv3plus_xception65.py',
    '../_base_/datasets/cityscapes_depth_seg19_256x512.py',
    '../_base_/schedules/schedule_sgd_poly_80k.py',
    '../_base_/default_runtime.py',
]

# Poly decay with power 0.9 to 0 and initial lr 0.007 (paper, PASCAL VOC);
# the paper's Cityscapes schedule is not restated here. Weight decay 4e-5
# (TF release), not applied to depthwise convs and BN (TF regularises the
# other conv weights only).
optim_wrapper = dict(
    optimizer=dict(lr=0.007, weight_decay=4e-5),
    paramwise_cfg=dict(dwconv_decay_mult=0.0, norm_decay_mult=0.0),
)
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=0.9,
        begin=0,
        end=80000,
        by_epoch=False,
    )
]
# batch 8: BN statistics need large batches (paper uses 16 on VOC)
train_dataloader = dict(batch_size=8)

val_evaluator = [dict(type='SegMetric', num_classes=19, ignore_index=255)]
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(interval=8000, max_keep_ckpts=3))
