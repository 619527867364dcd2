# The x4 settings of dsrbench_lu_x4.py with another scale factor (see
# there for the protocol and the units). Test only.
_base_ = './dsrbench_lu_x4.py'

bench_scale_factor = 8
bench_test_pipeline = [
    dict(step, divisor=bench_scale_factor)
    if step.type == 'CropToMultiple'
    else dict(step, scale_factor=bench_scale_factor)
    if step.type == 'GenerateLRDepth'
    else step
    for step in _base_.bench_test_pipeline
]
bench_test_dataloader = dict(dataset=dict(pipeline=bench_test_pipeline))
