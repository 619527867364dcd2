# Bicubic upsampling of the LR depth, x8, on SynthRooms DSR (200 test
# scenes, 240 x 320, RMSE / MAD in cm with a 6 px border). Whole-image
# inference: bicubic interpolation is affine-equivariant (its weights sum to
# one), so the per-tile normalisation of learned models would not change
# it. The model has no parameter: test it with
# `python tools/test.py THIS_CONFIG none`.
_base_ = [
    '../_base_/datasets/synthrooms_dsr_x8.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='BicubicBaseline',
    scale_factor=8,
    # torch's bicubic (Keys a = -0.75), the number the quick start compares
    # with; kernel='pil' gives the NYU tables' bicubic (see README.md).
    kernel='torch',
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
