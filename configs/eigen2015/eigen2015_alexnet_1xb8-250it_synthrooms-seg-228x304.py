# Eigen & Fergus 2015, AlexNet scale 1, semantic labelling of the 6
# SynthRooms classes (wall, floor, ceiling, box, cylinder, sphere), RGB
# input, scale-2 scores appended to the scale-3 features; stages and budget
# as the SynthRooms depth + normals run.
_base_ = ['./eigen2015_alexnet_1xb8-250it_synthrooms-depth-normal-228x304.py']

model = dict(
    tasks=('seg',),
    num_classes=6,
    decoder=dict(heads=dict(_delete_=True), s3_concat='append'),
)
val_evaluator = dict(_delete_=True, type='SegMetric', num_classes=6)
test_evaluator = val_evaluator
