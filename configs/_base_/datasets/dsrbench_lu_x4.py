# Lu guided depth SR test set (6 RGB-D pairs) of DKN / FDSR /
# DCTNet, x4, under the protocol of DCTNet's public test code
# (Zhaozixiang1228/GDSR-DCTNet; data: its RawDatasets/ folder, see
# docs/dataset_prepare.md). TEST ONLY: no training and no model selection
# on this set, so this file defines no train / val entries; the
# `bench_*` names are taken up by the configs that test on it
# (test_dataloader = _base_.bench_test_dataloader).
#
# UNITS: the maps are 8-bit grey levels 0..255, NOT
# metres: gt_depth, pred_sr_depth and the metric are in grey levels.
# Protocol:
# 1. crop HR depth and RGB to a multiple of the scale factor, top-left
#    (CropToMultiple);
# 2. LR = PIL bicubic (Keys a = -0.5, antialiased) of the float HR depth
#    to (W/s, H/s) (GenerateLRDepth method='bicubic_pil');
# 3. network input normalised by the min / max of the whole HR depth:
#    NormalizeDepth(preset='hr_minmax'), the literature's test-time
#    setting (the input knows the range of the answer; named 'hr_minmax'
#    in the results JSON); outputs are de-normalised with the same numbers;
# 4. RMSE per image, mean over images, in grey levels, prediction and
#    ground truth clipped to [0, 255], every pixel, no border.
bench_dataset_type = 'DSRBenchmarkDataset'
bench_data_root = 'data/dsr_benchmarks'
bench_subset = 'lu'
bench_scale_factor = 4

bench_test_pipeline = [
    dict(type='LoadRGBImage'),
    dict(
        type='LoadDepth', depth_scale=1.0, allow_8bit=True
    ),  # uint8 grey levels
    dict(type='CropToMultiple', divisor=bench_scale_factor),
    dict(
        type='GenerateLRDepth',
        scale_factor=bench_scale_factor,
        method='bicubic_pil',
    ),
    dict(type='NormalizeDepth', preset='hr_minmax'),
    dict(type='PackDenseInputs'),
]
bench_test_dataloader = dict(
    batch_size=1,  # image sizes differ
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=bench_dataset_type,
        subset=bench_subset,
        data_root=bench_data_root,
        pipeline=bench_test_pipeline,
    ),
)
bench_test_evaluator = dict(
    type='SRMetric', border=0, unit='raw', valid='all', clip=(0.0, 255.0)
)
