# The flagship joint model: v3 (JointDepthSR with depth-guided SR fusion),
# NYU v2 DSR x8 with 256 x 256 grid patches. See configs/v3_fusion/README.md.
_base_ = ['./v3_fusion/v3-fusion_r50_1xb8-40k_nyu-dsr-x8-grid256.py']
