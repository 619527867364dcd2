# Bicubic upsampling of the LR depth, x4, on the real test set
# RGB-D-D (405 pairs, RMSE in cm), protocol of DCTNet's test code
# (_base_/datasets/dsrbench_rgbdd_x4.py). Test only: the real sets are
# never trained or selected on. The model has no parameter: test it with
# `python tools/test.py THIS_CONFIG none`.
_base_ = [
    '../_base_/datasets/dsrbench_rgbdd_x4.py',
    '../_base_/models/bicubic_dsrbench.py',
    '../_base_/default_runtime.py',
]

model = dict(scale_factor=4)
test_dataloader = _base_.bench_test_dataloader
test_evaluator = _base_.bench_test_evaluator
