# v3 joint MDE + DSR model: v2 (joint_v2.py) plus a depth-guided SR fusion
# unit (MDE-decoder features -> SR decoder) at every decoder resolution.
# The reverse unit (SRGuidedDepthFusion) and the semantic branch
# (num_classes, SemanticToDepth / DepthToSemantic) are further switches.
_base_ = ['./joint_v2.py']

model = dict(sr_fusion=dict(type='DepthGuidedSRFusion'))
