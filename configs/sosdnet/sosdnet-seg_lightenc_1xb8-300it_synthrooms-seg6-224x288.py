# Single-task segmentation baseline of the SynthRooms comparison: the
# SOSD-Net network with the semantic task alone (shared part, semantic
# branch and head; no depth branch, no units).
_base_ = ['./sosdnet_lightenc_1xb8-300it_synthrooms-depth-seg6-224x288.py']
model = dict(tasks=('seg',), units=False)
val_evaluator = [dict(type='SegMetric', num_classes=6, ignore_index=255)]
test_evaluator = val_evaluator
