# v3 joint MDE + DSR with fusion trained on SynthRooms x8 (v3-fusion_lightenc_1xb8-300it_synthrooms-dsr-x8.py: training,
# validation and checkpoint choice on SynthRooms only), tested on the real
# Middlebury (30 pairs, RMSE in grey levels 0..255, clipped) at x8 under the
# protocol of _base_/datasets/dsrbench_middlebury_x8.py. The real set is for
# testing only: never train on it or pick checkpoints by it.
#
# Network input: the pipeline records the literature's 'hr_minmax'
# statistics (the min / max of the HR ground truth), but this model tests
# as it was trained, by 64 x 64 tiles each divided by the maximum of its
# own LR depth (test_cfg slide, normalize='max'): the recorded
# normalisation is undone first, so the ground-truth range never reaches
# the network (the results JSON names both: protocol.input.normalize and
# protocol.input.network_input). The literature's models (DCTNet etc.) get
# the HR range; this one only what a deployed model has.
# python tools/test.py THIS_CONFIG CHECKPOINT, or for the three sets with
# bicubic and timings: tools/analysis_tools/sim2real.py CONFIG CHECKPOINT
_base_ = [
    './v3-fusion_lightenc_1xb8-300it_synthrooms-dsr-x8.py',
    '../_base_/datasets/dsrbench_middlebury_x8.py',
]

test_dataloader = dict(_base_.bench_test_dataloader, _delete_=True)
test_evaluator = dict(_base_.bench_test_evaluator, _delete_=True)
