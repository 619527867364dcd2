# SOSD-Net's EM-like training (He et al., arXiv 2101.07422, Sec. 4): the
# paper states only that the depth- and semantic-specific weights are
# updated alternately; the schedule below is our reading [I]: a joint
# warm-up, then rounds of depth-only ("E") and semantic-only ("M") steps.
# Whether the shared backbone / ASPP / decoder learn in both steps is not
# stated [?] ('both' here). SGD with poly decay as schedule_sgd_poly_40k.
# The runtime is a base here so that `custom_hooks` below replaces its list
# (method configs list this file instead of default_runtime.py).
_base_ = ['./schedule_sgd_poly_40k.py', '../default_runtime.py']

# The parameters of each task (module path prefixes of SOSDNet); the rest
# (backbone, neck) is shared.
em_task_prefixes = dict(
    depth=('decoders.depth', 'interactions.sem_to_depth', 'heads.depth'),
    seg=('decoders.seg', 'interactions.depth_to_sem', 'heads.seg'),
)
em_hook = dict(
    type='AlternatingTrainingHook',
    warmup_iters=10000,  # [I] joint warm-up
    num_rounds=3,  # [I] 3 x (5k depth + 5k seg) = 30k
    step_iters=(5000, 5000),  # [I] depth, seg
    shared_update='both',  # [?]
    task_prefixes=em_task_prefixes,
)
# RNGStateHook as in default_runtime.py.
custom_hooks = [dict(type='RNGStateHook'), em_hook]
