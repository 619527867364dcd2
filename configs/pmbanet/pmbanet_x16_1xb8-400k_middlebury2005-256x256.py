# PMBANet x16, Middlebury 2005 protocol of the paper (six test scenes at
# full size, OpenCV-bicubic LR on 8 bits, RMSE / MAD on 0..255, no border).
# The training images of the paper are not published: the dataset config
# trains on the user's split 'train' (random 256 x 256 crops, flips).
# Schedule of the release (400 epochs, see pmbanet_adam_400e.py).
_base_ = [
    '../_base_/models/pmbanet.py',
    '../_base_/datasets/middlebury2005_dsr_x16.py',
    '../_base_/schedules/pmbanet_adam_400e.py',
    '../_base_/default_runtime.py',
]

model = dict(scale_factor=16, test_cfg=dict(mode='whole'))
default_hooks = dict(checkpoint=dict(interval=20000, max_keep_ckpts=3))
