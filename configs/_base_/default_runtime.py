# Runtime defaults shared by every mmdepthsr config (MMEngine Runner).
default_scope = 'mmdepthsr'
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # tools/train.py switches to gloo on machines without CUDA.
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
# load_from / resume / tools/test.py stop on missing, unexpected or
# mis-shaped weights; False (--non-strict) loads the matching ones and warns.
strict_load = True

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # keeps the 3 newest interval checkpoints (a ResNet model is 100s of MB
    # each); set max_keep_ckpts=-1 to keep them all
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=1000, max_keep_ckpts=3
    ),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
# Saves/restores the Python, numpy and torch generator states in
# checkpoints, so that a resumed run replays an uninterrupted one.
custom_hooks = [dict(type='RNGStateHook')]
randomness = dict(seed=0)
# DenseRunner loads resume / load_from checkpoints as trusted under
# torch >= 2.6 (see mmdepthsr/utils/checkpoint.py).
runner_type = 'DenseRunner'
