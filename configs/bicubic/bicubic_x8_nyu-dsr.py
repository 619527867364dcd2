# Bicubic upsampling of the LR depth, x8, on the NYU v2 DSR protocol
# (449 test frames, RMSE / MAD in cm with a 6 px border). The model has no
# parameter: test it with `python tools/test.py THIS_CONFIG none`.
_base_ = [
    '../_base_/datasets/nyu_dsr_x8.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='BicubicBaseline',
    scale_factor=8,
    # PIL's bicubic (Keys a = -0.5), as the literature's "Bicubic" rows and
    # the LR maps of this protocol (GenerateLRDepth(method='bicubic_pil')).
    kernel='pil',
    # The image only gives the output size; it is not normalised.
    data_preprocessor=dict(type='DenseDataPreprocessor'),
    test_cfg=dict(mode='whole'),
)

# Nothing to train: the optimiser and the loop below only complete the
# config (building an optimiser for a model without parameters fails, so
# tools/train.py cannot run it).
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.0))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=1, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
