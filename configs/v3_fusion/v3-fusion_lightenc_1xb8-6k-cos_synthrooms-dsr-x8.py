# v3 on SynthRooms x8 with the fast recipe of
# v3-fusion_lightenc_1xb8-1000it-cos_synthrooms-dsr-x8.py stretched to
# 6,000 iterations (cosine 1e-3 -> 1e-5 over the whole run): about half an
# hour of training on an idle 2-core CPU. Results and learning curves:
# configs/v3_fusion/README.md, "Learning speed".
_base_ = ['./v3-fusion_lightenc_1xb8-1000it-cos_synthrooms-dsr-x8.py']

max_iters = 6000
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=max_iters,
        eta_min=1e-5,
        by_epoch=False,
        begin=0,
        end=max_iters,
    )
]
train_cfg = dict(max_iters=max_iters, val_interval=1000)
default_hooks = dict(logger=dict(interval=100), checkpoint=dict(interval=1000))
