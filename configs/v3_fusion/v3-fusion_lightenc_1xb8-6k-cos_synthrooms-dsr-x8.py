# v3 on SynthRooms x8: the 6,000-iteration v2 recipe
# (configs/v2_joint/v2-joint_lightenc_1xb8-6k-cos_synthrooms-dsr-x8.py,
# cosine 1e-3 -> 1e-5 over the whole run, about half an hour of training on
# an idle 2-core CPU) plus a DepthGuidedSRFusion unit at every decoder
# resolution. Results and learning curves: configs/v3_fusion/README.md,
# "Learning speed".
_base_ = ['../v2_joint/v2-joint_lightenc_1xb8-6k-cos_synthrooms-dsr-x8.py']

model = dict(sr_fusion=dict(type='DepthGuidedSRFusion'))
