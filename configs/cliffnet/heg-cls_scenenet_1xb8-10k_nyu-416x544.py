# The HEG pre-training of the CLIFFNet release (Wang et al., ECCV 2020;
# scott89/CLIFFNet, checkpoint "heg-s"): the SceneNet depth encoder trained
# as a depth-map scene classifier on NYU v2, here on the 795 official
# training frames of the labelled set (in-painted depth). The colour image is
# ignored; the input is gt_depth. Labels: the NYU `scene_type` of each frame
# (NYULabeledDataset data info), grouped into the 9 most frequent NYU scene
# types + "other" (a common grouping for NYU scene classification; the
# release's class list is not known). The release's epochs, optimiser and
# classes are not known: the schedule below is a choice.
_base_ = [
    '../_base_/datasets/nyu_labeled_depth.py',
    '../_base_/schedules/schedule_adam_step_40k.py',
    '../_base_/default_runtime.py',
]

meta_keys = (
    'img_path',
    'depth_path',
    'ori_shape',
    'img_shape',
    'scale_factor',
    'flip',
    'flip_direction',
    'crop_box',
    'sample_idx',
    'scene_type',
)
train_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDepth', depth_scale=1000.0),
    dict(type='FixedCrop', box=(45, 472, 43, 608)),
    dict(type='RandomCrop', crop_size=(416, 544)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDenseInputs', meta_keys=meta_keys),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
# No classification metric in the toolbox: no validation / test loop. The
# training log shows acc_cls (batch accuracy).
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = None
test_evaluator = None
test_cfg = None

model = dict(
    type='DepthSceneClassifier',
    data_preprocessor=dict(
        type='DenseDataPreprocessor', mean=[0.0] * 3, std=[1.0] * 3
    ),
    encoder=dict(type='SceneNetEncoder', num_stages=2, depth_scale=1.0),
    num_classes=10,
    label_key='scene_type',
    classes=(
        'bathroom',
        'bedroom',
        'bookstore',
        'classroom',
        'dining_room',
        'home_office',
        'kitchen',
        'living_room',
        'office',
    ),
    other_class=9,
    dropout=0.5,
)
optim_wrapper = dict(optimizer=dict(lr=1e-3, weight_decay=1e-4))
param_scheduler = [
    dict(
        type='MultiStepLR',
        milestones=[7000],
        gamma=0.1,
        by_epoch=False,
        begin=0,
        end=10000,
    )
]
train_cfg = dict(max_iters=10000, val_interval=10000)
default_hooks = dict(checkpoint=dict(interval=10000))
