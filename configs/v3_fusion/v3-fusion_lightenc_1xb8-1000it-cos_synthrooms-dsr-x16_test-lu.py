# v3 trained on SynthRooms only
# (v3-fusion_lightenc_1xb8-1000it-cos_synthrooms-dsr-x16.py: training,
# validation and checkpoint choice on SynthRooms), tested on the real Lu (6
# pairs, RMSE in grey levels 0..255, clipped) at x16 under the protocol of
# _base_/datasets/dsrbench_lu_x16.py. The real set is for testing only: never
# train on it or pick a checkpoint by it.
#
# The network tests as it was trained, by 64 x 64 tiles each min-max normalised
# by its own LR depth (test_cfg normalize='minmax'); the literature's
# 'hr_minmax' statistics that the pipeline records are undone first, so the
# range of the ground truth never reaches the network. Results:
# configs/v3_fusion/README.md, "Real test sets".
# python tools/test.py THIS_CONFIG CHECKPOINT
_base_ = [
    './v3-fusion_lightenc_1xb8-1000it-cos_synthrooms-dsr-x16.py',
    '../_base_/datasets/dsrbench_lu_x16.py',
]

test_dataloader = dict(_base_.bench_test_dataloader, _delete_=True)
test_evaluator = dict(_base_.bench_test_evaluator, _delete_=True)
