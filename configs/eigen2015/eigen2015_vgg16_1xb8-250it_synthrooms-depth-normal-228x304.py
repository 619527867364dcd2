# Eigen & Fergus 2015, VGG16 scale 1, depth + normals on SynthRooms: the
# AlexNet SynthRooms run (same data, stages, budget and feature scaling)
# with the VGG16 stack of configs/_base_/models/eigen2015_vgg16.py.
_base_ = ['./eigen2015_alexnet_1xb8-250it_synthrooms-depth-normal-228x304.py']

model = dict(
    # VGG16 path: RGB minus the VGG mean, no std
    data_preprocessor=dict(mean=[123.68, 116.779, 103.939], std=[1.0] * 3),
    backbone=dict(
        _delete_=True,
        type='VGG16',
        valid_conv1=True,  # release: conv1_x without padding
        out_indices=(5,),  # pool5: 512 x 7 x 9
    ),
)
