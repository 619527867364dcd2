# Tri-task v3 on SynthRooms x8: SR + MDE + semantic segmentation (the 6
# SynthRooms classes: wall, floor, ceiling, box, cylinder, sphere), with
# DepthGuidedSRFusion, SRGuidedDepthFusion and SOSD-Net's SemanticToDepth /
# DepthToSemantic units at every decoder resolution. Grid patches carry
# gt_sem_seg (cut with the same box as the depth).
_base_ = ['./v3-fusion_lightenc_1xb8-300it_synthrooms-dsr-x8.py']

model = dict(
    depth_fusion=dict(type='SRGuidedDepthFusion'),
    num_classes=6,
    sem_to_depth=dict(type='SemanticToDepth'),
    depth_to_sem=dict(type='DepthToSemantic'),
    loss_seg=dict(type='CrossEntropyLoss', ignore_index=255),
    seg_loss_weights=(0.125, 0.25, 0.5, 0.5, 1.0),
)
val_evaluator = [
    _base_.sr_evaluator,
    dict(_base_.depth_evaluator, prefix='depth'),
    dict(type='SegMetric', num_classes=6, ignore_index=255),
]
test_evaluator = val_evaluator
