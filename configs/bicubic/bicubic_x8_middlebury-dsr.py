# Bicubic upsampling of the LR depth, x8, on the real test set
# Middlebury (30 pairs, RMSE in grey levels 0..255), protocol of DCTNet's test code
# (_base_/datasets/dsrbench_middlebury_x8.py). Test only: the real sets are
# never trained or selected on. The model has no parameter: test it with
# `python tools/test.py THIS_CONFIG none`.
_base_ = [
    '../_base_/datasets/dsrbench_middlebury_x8.py',
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

test_dataloader = _base_.bench_test_dataloader
test_evaluator = _base_.bench_test_evaluator
test_cfg = dict(type='TestLoop')
# Nothing to train and nothing to validate (and no training or model
# selection on a real test set): the entries below are empty on purpose.
train_dataloader = None
train_cfg = None
optim_wrapper = None
val_dataloader = None
val_cfg = None
val_evaluator = None
