"""Protocol constants: the one place where camera, crop and cap facts live.

Datasets, transforms, metrics and the dataset tools import them from here;
the module imports nothing of the package, so the evaluation code does not
depend on the datasets.

Sources are the datasets' documentation (NYU Depth v2, KITTI) and the
evaluation code the literature uses (BTS, the MDE toolbox).
"""

#: NYU Depth v2 RGB camera intrinsics (fx, fy, cx, cy) of the 480 x 640
#: frames, used by every published NYU pipeline.
NYU_INTRINSICS = (518.8579, 519.4696, 325.5824, 253.7362)
NYU_IMAGE_SHAPE = (480, 640)

#: NYU "Eigen crop": rows 45:471, cols 41:601 of the 480 x 640 ground truth,
#: in the 0-based half-open Python convention of BTS / the MDE toolbox
#: (426 x 560 pixels). Only defined for 480 x 640 maps.
EIGEN_NYU_CROP = (45, 471, 41, 601)

#: KITTI crops as fractions (top, bottom, left, right) of the ground-truth
#: height and width. Garg et al. 2016 and the Eigen 2014 crop as used by
#: monodepth / BTS ("found by trial and error to reproduce Eigen NIPS14").
GARG_CROP_FRACTIONS = (0.40810811, 0.99189189, 0.03594771, 0.96405229)
EIGEN_KITTI_CROP_FRACTIONS = (0.3324324, 0.91351351, 0.0359477, 0.96405229)

#: Depth caps (metres) of the common protocols.
NYU_DEPTH_RANGE = (1e-3, 10.0)
KITTI_DEPTH_RANGE = (1e-3, 80.0)
#: The 50 m cap of Garg et al. 2016 (monodepth ``--max_depth 50``).
KITTI_DEPTH_RANGE_50M = (1e-3, 50.0)

#: KITTI depth PNGs (annotated maps of Uhrig et al. 2017, exported
#: velodyne maps) store metres x 256 as uint16; 0 = no depth.
KITTI_DEPTH_SCALE = 256.0

#: Rectified colour image size (H, W) of each KITTI raw recording date
#: (``S_rect_02`` of its ``calib_cam_to_cam.txt``).
KITTI_IMAGE_SHAPES = {
    '2011_09_26': (375, 1242),
    '2011_09_28': (370, 1224),
    '2011_09_29': (374, 1238),
    '2011_09_30': (370, 1226),
    '2011_10_03': (376, 1241),
}

#: KITTI benchmark ("KB") crop (H, W): rows H - 352 : H, columns
#: (W - 1216) // 2 : + 1216 of the frame (BTS, the MDE toolbox).
KB_CROP_SIZE = (352, 1216)

#: Frames of the Eigen test split (Eigen et al. 2014): all 697 have a
#: velodyne scan, 652 have an annotated depth map (Uhrig et al. 2017).
KITTI_EIGEN_TEST_SIZES = dict(velodyne=697, annotated=652)

#: Every PixelData-like map a transform may carry, and how it is resampled:
#: 'image' (bilinear), 'depth' (nearest, keeps holes), 'label' (nearest),
#: 'normal' (nearest, then re-oriented by rotations/flips).
DENSE_KEYS = dict(
    img='image',
    gt_depth='depth',
    lr_depth='depth',
    gt_sem_seg='label',
    gt_normal='normal',
)
