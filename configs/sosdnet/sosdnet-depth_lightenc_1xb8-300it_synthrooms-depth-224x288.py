# Single-task depth baseline of the SynthRooms comparison: the SOSD-Net
# network with the depth task alone (shared part, depth branch and head; no
# semantic branch, no units), same data, budget and optimiser.
_base_ = ['./sosdnet_lightenc_1xb8-300it_synthrooms-depth-seg6-224x288.py']
model = dict(tasks=('depth',), units=False)
val_evaluator = [
    dict(type='DepthMetric', min_depth=1e-3, max_depth=10.0, prefix='depth')
]
test_evaluator = val_evaluator
