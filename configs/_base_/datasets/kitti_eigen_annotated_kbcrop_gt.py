# KITTI Eigen split, 652 annotated test frames, MDE toolbox convention
# (zhyever/Monocular-Depth-Estimation-Toolbox): the ground truth is
# KB-cropped with the image (352 x 1216) and the Garg fractions are taken
# of that crop (rows 143:349, cols 43:1172) instead of the full-resolution
# map as in BTS (kitti_eigen_annotated.py). Same frames, caps and per-image
# averaging; the pixel sets differ slightly, and so do the numbers.
_base_ = ['./kitti_eigen_annotated.py']

test_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadDepth', depth_scale=256.0),
    dict(type='KBCrop', crop_gt=True),
    dict(type='PackDenseInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
