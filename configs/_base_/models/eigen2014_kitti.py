# Eigen, Puhrsch & Fergus, NIPS 2014, KITTI variant: input 3 x 172 x 576
# (1224 x 368 halved to 612 x 184, then cropped), output 1 x 27 x 142.
# The coarse net sees the whole image; the fine net sees the bottom rows that
# correspond to the 27 x 142 target. Its height is not in the release: 116
# rows, bottom-aligned (our choice, see configs/eigen2014/README.md).
_base_ = ['./eigen2014_nyu.py']

model = dict(
    input_size=(172, 576),
    coarse_head=dict(in_size=(4, 17), out_size=(27, 142)),  # 17408 -> 3834
    fine_input_rows=116,
    # The release only has NYU statistics; the same log-depth scale and fine
    # image normalisation are kept for KITTI.
    log_depth_scale=0.45723134,
    # Sparse LiDAR ground truth: average the valid depths of each 4 x 4 block
    # instead of sampling one pixel, which would drop most of the points.
    gt_sampling='block_mean',
)
