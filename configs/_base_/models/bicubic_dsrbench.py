# Bicubic upsampling of the LR depth on a real DSR test set (Middlebury,
# Lu, RGB-D-D): the parameter-free model and the test-only entries shared
# by configs/bicubic/bicubic_x{4,8,16}_{middlebury,lu,rgbdd}-dsr.py, which
# add the dataset base and the scale factor. Test with
# `python tools/test.py CONFIG none`.
model = dict(
    type='BicubicBaseline',
    scale_factor=None,  # set by each config
    # PIL's bicubic (Keys a = -0.5), as the literature's "Bicubic" rows and
    # the LR maps of this protocol (GenerateLRDepth(method='bicubic_pil')).
    kernel='pil',
    # The image only gives the output size; it is not normalised.
    data_preprocessor=dict(type='DenseDataPreprocessor'),
    test_cfg=dict(mode='whole'),
)
test_cfg = dict(type='TestLoop')
# Nothing to train and nothing to validate (and no training or model
# selection on a real test set): the entries below are empty on purpose.
train_dataloader = None
train_cfg = None
optim_wrapper = None
val_dataloader = None
val_cfg = None
val_evaluator = None
