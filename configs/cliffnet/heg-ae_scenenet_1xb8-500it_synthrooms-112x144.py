# Label-free pre-training of the CLIFFNet hierarchical embedding generator
# (HEG, the "SceneNet" depth encoder) as a depth auto-encoder on SynthRooms:
# the encoder embeds the ground-truth depth map, a small decoder
# reconstructs it, L1 on the valid pixels. The RGB image is ignored.
# SynthRooms has no scene label, so this label-free task is the only HEG
# pre-training possible on it. Small crops and 500 iterations keep it to
# CPU minutes. The encoder weights (`encoder.*` keys of
# work_dirs/heg-ae_scenenet_1xb8-500it_synthrooms-112x144/iter_500.pth)
# feed the HierarchicalEmbeddingLoss of
# cliffnet-heg-ae_r50_1xb2-300it_synthrooms-96x128.py.
_base_ = [
    '../_base_/datasets/synthrooms.py',
    '../_base_/schedules/schedule_adam_step_40k.py',
    '../_base_/default_runtime.py',
]

train_pipeline = [
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=(112, 144)),
    dict(type='PackDenseInputs'),
]
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))

model = dict(
    type='DepthAutoEncoder',
    # The image is not used; the preprocessor only batches the samples.
    data_preprocessor=dict(
        type='DenseDataPreprocessor', mean=[0.0] * 3, std=[1.0] * 3
    ),
    # Metres in, as the CLIFFNet release feeds its HEG (depth_scale=1).
    encoder=dict(type='SceneNetEncoder', num_stages=2, depth_scale=1.0),
    decoder=dict(channels=16, num_convs=1),
    loss=dict(type='L1Loss'),
)

optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(
        type='MultiStepLR',
        milestones=[400],
        gamma=0.1,
        by_epoch=False,
        begin=0,
        end=500,
    )
]
train_cfg = dict(max_iters=500, val_interval=500)
# DepthMetric on pred_depth = the reconstruction of the input depth.
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=500))
