# v3 joint MDE + DSR on SynthRooms x8, the fast-learning recipe of
# configs/v2_joint/v2-joint_lightenc_1xb8-1000it-cos_synthrooms-dsr-x8.py
# (cosine schedule, monocular losses weighted 0.1, 1000 iterations) plus a
# DepthGuidedSRFusion unit at every decoder resolution. This is the model
# that tools/quick_start.py trains.
_base_ = ['../v2_joint/v2-joint_lightenc_1xb8-1000it-cos_synthrooms-dsr-x8.py']

model = dict(sr_fusion=dict(type='DepthGuidedSRFusion'))
