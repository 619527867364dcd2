# Iteration-based SGD with polynomial decay (mmsegmentation's schedule_40k):
# the 20k schedule stretched to 40k iterations.
_base_ = ['./schedule_sgd_poly_20k.py']
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=1e-4,
        power=0.9,
        begin=0,
        end=40000,
        by_epoch=False,
    )
]
train_cfg = dict(max_iters=40000, val_interval=4000)
