# PMBANet x8 on SynthRooms: the recipe that learns on a CPU (README
# "SynthRooms x8"). The paper's network, L1 loss and Adam 1e-4, with two
# changes against the 300-iteration smoke config:
#   - every 64 x 64 patch (and every test tile) is normalised by the min and
#     max of its LR depth instead of the max alone (as the v2 / v3 recipes:
#     a patch spans a few per cent of the room's depth, so after division by
#     the max its values crowd near 1; min-max spreads them over [0, 1]),
#   - the rate decays with a cosine over the 1200 iterations instead of the
#     release's steps at 1/4 and 1/2 of its 400 epochs, which at this budget
#     would cut the rate after 300 iterations.
# A pilot of 120 iterations with Adam 4e-4 ended at the same training loss as
# 1e-4 (0.0375 vs 0.0382), so the paper's rate is kept.
_base_ = ['./pmbanet_x8_1xb8-300it_synthrooms-64x64.py']

max_iters = 1200
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
train_cfg = dict(max_iters=max_iters, val_interval=600)
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=600))
