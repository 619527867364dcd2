# SynthRooms: the built-in procedural indoor RGB-D dataset (SPEC 5.1); no
# download needed. Samples already carry img, gt_depth, gt_sem_seg,
# gt_normal and cam_intrinsics, so the pipelines have no loading step.
# Rendered at 240 x 320 (a quarter of NYU's 480 x 640, intrinsics scaled)
# so that training on a CPU stays fast; depths lie in (0, 10) m like NYU.
dataset_type = 'SynthRoomsDataset'
img_shape = (240, 320)
crop_size = (224, 288)

train_pipeline = [
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomColorGain', gain_range=(0.8, 1.2)),
    dict(type='PackDenseInputs'),
]
test_pipeline = [dict(type='PackDenseInputs')]

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        split='train',  # 1000 scenes
        img_shape=img_shape,
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        split='val',  # 100 scenes
        img_shape=img_shape,
        pipeline=test_pipeline,
    ),
)
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        split='test',  # 200 scenes
        img_shape=img_shape,
        pipeline=test_pipeline,
    ),
)

val_evaluator = dict(type='DepthMetric', min_depth=1e-3, max_depth=10.0)
test_evaluator = val_evaluator
