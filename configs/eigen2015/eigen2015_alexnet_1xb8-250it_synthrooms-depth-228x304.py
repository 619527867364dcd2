# Eigen & Fergus 2015, AlexNet scale 1, depth only on SynthRooms: the
# three-scale counterpart of eigen2014-staged_alexnet_1xb8-250it_synthrooms
# (same data, augmentation, batch and 150 + 100 iteration budget) for the
# comparison in configs/eigen2015/README.md.
_base_ = ['./eigen2015_alexnet_1xb8-250it_synthrooms-depth-normal-228x304.py']

model = dict(tasks=('depth',))
val_evaluator = dict(
    _delete_=True, type='DepthMetric', min_depth=1e-3, max_depth=10.0
)
test_evaluator = val_evaluator
