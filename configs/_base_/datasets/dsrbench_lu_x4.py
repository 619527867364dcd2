# Lu guided depth SR test set (6 RGB-D pairs, 480 x 640) of DKN / FDSR /
# DCTNet, x4: the Middlebury settings of dsrbench_middlebury_x4.py (see
# there for the protocol) on the `lu` subset. TEST ONLY: no training and no
# model selection on this set.
#
# UNITS: the maps are 8-bit grey levels 0..255, NOT metres: gt_depth,
# pred_sr_depth and the metric are in grey levels.
_base_ = './dsrbench_middlebury_x4.py'

bench_subset = 'lu'
bench_test_dataloader = dict(dataset=dict(subset=bench_subset))
