# v1 (PMBANet + CLIFFNet coupled by losses) x8 on SynthRooms: the recipe of
# PMBANet's SynthRooms config for its SR branch (README "SynthRooms x8"):
# every patch and test tile normalised by the min and max of its LR depth
# (both branches are de-normalised with those statistics), Adam 1e-4 (both
# papers) decayed with a cosine over 800 iterations.
_base_ = ['./v1-joint_pmbanet-cliffnet_x8_1xb8-300it_synthrooms-64x64.py']

max_iters = 800
model = dict(test_cfg=dict(normalize='minmax'))
patch_pipeline = _base_.minmax_patch_pipeline
train_dataloader = dict(dataset=dict(pipeline=patch_pipeline))
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=max_iters,
        eta_min=1e-6,
        by_epoch=False,
        begin=0,
        end=max_iters,
    )
]
train_cfg = dict(max_iters=max_iters, val_interval=400)
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=400))
