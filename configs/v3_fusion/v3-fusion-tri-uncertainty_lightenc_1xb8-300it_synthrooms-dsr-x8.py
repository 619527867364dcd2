# Tri-task v3 on SynthRooms x8 with learned task weights: homoscedastic
# uncertainty weighting (Kendall et al., CVPR 2018, sec. 3.2), one learnable
# log-variance per task (sr, depth, seg), L = sum_t exp(-s_t) L_t + s_t.
# The weights are logged as weight_<task> at every logging interval.
_base_ = ['./v3-fusion-tri_lightenc_1xb8-300it_synthrooms-dsr-x8.py']

model = dict(balancer=dict(type='UncertaintyWeighting', init_log_variance=0.0))
# Adam without weight decay (base schedule): the log-variances need no
# paramwise_cfg; with weight decay, give `balancer` decay_mult=0.
