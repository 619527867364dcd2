# v3 joint MDE + DSR on SynthRooms x8: the v2 SynthRooms config plus a
# DepthGuidedSRFusion unit at every decoder resolution (the ablation pair
# of configs/v2_joint/v2-joint_lightenc_1xb8-300it_synthrooms-dsr-x8.py).
_base_ = ['../v2_joint/v2-joint_lightenc_1xb8-300it_synthrooms-dsr-x8.py']

model = dict(sr_fusion=dict(type='DepthGuidedSRFusion'))
