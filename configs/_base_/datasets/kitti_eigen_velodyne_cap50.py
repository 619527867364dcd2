# KITTI Eigen split, velodyne ground truth, Garg crop, capped at 50 m
# (Garg et al. 2016; monodepth "--max_depth 50"): kitti_eigen_velodyne.py
# with 1e-3 < gt < 50 m and predictions clamped to [1e-3, 50].
_base_ = ['./kitti_eigen_velodyne.py']

val_evaluator = dict(max_depth=50.0)
test_evaluator = val_evaluator
