# KITTI Eigen split with the original velodyne ground truth (Eigen et al.
# 2014; as evaluated by monodepth / monodepth2 "--eval_split eigen"): all
# 697 test frames, each scan projected into image_02 (points behind the
# sensor dropped, u, v rounded minus 1, nearest point per pixel, stored
# value = velodyne x distance; see LoadVelodyneDepth).
# Evaluation: Garg crop of the full-resolution ground truth (Garg et al.
# 2016, the crop monodepth2 uses for this split), 1e-3 < gt < 80 m,
# per-image averaging. The network sees the KB crop, pasted back into the
# full frame as in kitti_eigen_annotated.py. The Eigen crop:
# val_evaluator.crop='eigen_kitti' (kitti_eigen2014.py); the 50 m cap:
# kitti_eigen_velodyne_cap50.py. To read PNGs exported by
# `tools/dataset_converters/kitti.py export-velodyne` instead of projecting
# each scan, set data_prefix=dict(img_path='raw',
# velodyne_depth_path='gt_velodyne') and LoadDepth(depth_scale=256.0).
_base_ = ['./kitti_eigen_annotated.py']

train_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadVelodyneDepth', vel_depth=True),
    dict(type='KBCrop', crop_gt=True),
    dict(type='RandomRotate', max_angle=1.0),
    dict(type='RandomCrop', crop_size=(352, 704)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomColorGain', gain_range=(0.9, 1.1)),
    dict(type='PackDenseInputs'),
]
test_pipeline = [
    dict(type='LoadRGBImage'),
    dict(type='LoadVelodyneDepth', vel_depth=True),
    dict(type='KBCrop', crop_gt=False),
    dict(type='PackDenseInputs'),
]

train_dataloader = dict(
    dataset=dict(
        gt_source='velodyne',
        pipeline=train_pipeline,
    )
)
val_dataloader = dict(
    dataset=dict(
        gt_source='velodyne',  # every frame has a scan: 697 frames
        pipeline=test_pipeline,
    )
)
test_dataloader = val_dataloader
