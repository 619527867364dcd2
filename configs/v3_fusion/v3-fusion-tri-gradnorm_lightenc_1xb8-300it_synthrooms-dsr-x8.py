# Tri-task v3 on SynthRooms x8 with GradNorm (Chen et al., ICML 2018):
# task weights learned so that the gradient norms of the tasks at the last
# shared layer follow their relative training rates. The last shared layer
# is the coarsest scale fusion of the neck (the default, written out here).
# The weights are logged as weight_<task>, the per-task gradient norms as
# balancer_grad_norm_<task>.
_base_ = ['./v3-fusion-tri_lightenc_1xb8-300it_synthrooms-dsr-x8.py']

model = dict(
    balancer=dict(
        type='GradNorm',
        alpha=1.5,  # the paper's NYUv2 value
        shared='neck.fusions.3',
    )
)
