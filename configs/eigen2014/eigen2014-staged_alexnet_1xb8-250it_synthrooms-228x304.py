# Eigen 2014, both stages in one run on SynthRooms: the coarse network for
# 150 iterations, then the fine network on the frozen coarse one for 100
# (paper section 3.3), switched by StagedTrainingHook. Same budgets as the
# two-config pair eigen2014-{coarse,fine}_alexnet_*_synthrooms-228x304.py.
_base_ = ['./eigen2014-coarse_alexnet_1xb8-150it_synthrooms-228x304.py']

# The model is built in its final stage, so that tools/test.py evaluates the
# fine network; the hook switches it to 'coarse' before the first iteration.
# EigenCoarseFine.set_stage freezes the untrained parts itself (no `frozen`).
model = dict(stage='fine')
# The optimizer is built once for both stages and must hold the parameters
# that are frozen when it is built (with the base paramwise LR factors).
optim_wrapper = dict(constructor='StagedOptimWrapperConstructor')
custom_hooks = [
    dict(type='RNGStateHook'),
    dict(
        type='StagedTrainingHook',
        stages=[
            dict(begin=0, model_stage='coarse'),
            dict(begin=150, model_stage='fine'),
        ],
    ),
]
# Validation and checkpoints at the end of each stage (150 and 250).
train_cfg = dict(max_iters=250, val_interval=150)
default_hooks = dict(checkpoint=dict(interval=150))
