# PMBANet trained on SynthRooms only
# (pmbanet_x16_1xb8-1200it-cos_synthrooms-64x64.py: training, validation and
# checkpoint choice on SynthRooms), tested on the real RGB-D-D (405 pairs, RMSE
# in cm) at x16 under the protocol of _base_/datasets/dsrbench_rgbdd_x16.py.
# The real set is for testing only: never train on it or pick a checkpoint by
# it.
#
# The network tests as it was trained, by 64 x 64 tiles each min-max normalised
# by its own LR depth (test_cfg normalize='minmax'); the literature's
# 'hr_minmax' statistics that the pipeline records are undone first, so the
# range of the ground truth never reaches the network. Results:
# configs/v3_fusion/README.md, "Real test sets".
# python tools/test.py THIS_CONFIG CHECKPOINT
_base_ = [
    './pmbanet_x16_1xb8-1200it-cos_synthrooms-64x64.py',
    '../_base_/datasets/dsrbench_rgbdd_x16.py',
]

test_dataloader = dict(_base_.bench_test_dataloader, _delete_=True)
test_evaluator = dict(_base_.bench_test_evaluator, _delete_=True)
