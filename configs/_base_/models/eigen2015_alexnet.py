# Eigen & Fergus 2015 three-scale network, AlexNet scale 1 (the 2014 coarse
# stack up to pool5, 256 x 6 x 8), depth + normals. Everything after scale 1
# is the VGG16 model's.
_base_ = ['./eigen2015_vgg16.py']

model = dict(
    # AlexNet path: x - 128
    data_preprocessor=dict(mean=[128.0] * 3, std=[1.0] * 3),
    backbone=dict(
        _delete_=True,
        type='AlexNet',
        widths=(96, 256, 384, 384, 256),  # Krizhevsky single tower
        conv1_padding=2,  # cuda-convnet padding rule of the release
        lrn=dict(size=5, alpha=5e-4, beta=0.75, k=2.0),
        # torchvision-width AlexNet weights (alexnet-owt-7be5be79.pth) fit
        # widths=(64, 192, 384, 256, 256) without LRN:
        # torchvision_checkpoint='checkpoints/alexnet-owt-7be5be79.pth',
    ),
)
