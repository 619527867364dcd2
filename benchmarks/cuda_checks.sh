#!/usr/bin/env bash
# The checks that need a GPU, in one run, cheapest first, each writing its
# log to $OUT (default: cuda_checks/) as it goes, so a run cut short still
# leaves the finished ones. Run from the repository root on a CUDA machine
# with the package importable (installed, or on PYTHONPATH):
#
#   OUT=cuda_checks bash benchmarks/cuda_checks.sh [--no-suite]
#
# 1. device and versions              -> env.txt
# 2. the tests marked `cuda`           -> cuda_tests.log
# 3. tiled vs whole inference, v3 at 480 x 640, batch 8, fp32 and bf16 with
#    channels_last (benchmarks/slide_inference.py)    -> slide_fp32.log, slide_bf16.log
# 4. frames per second and FLOPs tools          -> fps_*.log, flops.log
# 5. 200 iterations of the SynthRooms v3 recipe with --amp -> train_amp.log
# 6. training data against the model's consumption  -> data_pipeline.log
# 7. the whole suite on the GPU machine (skipped with --no-suite) -> suite.log
# Record the results with the device name in docs/benchmarks.md.
set -u
OUT=${OUT:-cuda_checks}
mkdir -p "$OUT"
V3=configs/v3_fusion/v3-fusion_lightenc_1xb8-1000it-cos_synthrooms-dsr-x8.py
BIG=configs/v3_fusion.py
WORKERS=${WORKERS:-8}

step() {
    local name=$1
    shift
    echo "== $name: $*"
    local start=$SECONDS
    "$@" > "$OUT/$name.log" 2>&1
    local rc=$?
    echo "   rc=$rc, $((SECONDS - start)) s"
    echo "$name rc=$rc seconds=$((SECONDS - start))" >> "$OUT/summary.txt"
}

: > "$OUT/summary.txt"
{
    date -u
    nvidia-smi || true
    python -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0))'
    nproc
} > "$OUT/env.txt" 2>&1

step cuda_tests python -m pytest -m cuda -v -p no:cacheprovider tests
step slide_fp32 python benchmarks/slide_inference.py "$BIG" --size 480 640 \
    --batch-size 8 --device cuda --dtype fp32 --tile-batch-sizes 8 16 32 all
step slide_bf16 python benchmarks/slide_inference.py "$BIG" --size 480 640 \
    --batch-size 8 --device cuda --dtype bf16 --channels-last \
    --tile-batch-sizes 8 16 32 all
step fps_fp32 python tools/analysis_tools/benchmark.py "$BIG" --shape 480 640 \
    --batch 8 --device cuda
step fps_bf16 python tools/analysis_tools/benchmark.py "$BIG" --shape 480 640 \
    --batch 8 --device cuda --amp bf16 --channels-last
step flops python tools/analysis_tools/get_flops.py "$BIG" --shape 480 640
step train_amp python tools/train.py "$V3" --amp --work-dir "$OUT/train_amp" \
    --cfg-options train_cfg.max_iters=200 train_cfg.val_interval=200 \
    default_hooks.logger.interval=20 default_hooks.checkpoint.interval=200
step data_pipeline python benchmarks/data_pipeline.py "$V3" --num 640 \
    --workers 0 2 4 --model-iters 20
if [[ "${1:-}" != "--no-suite" ]]; then
    step suite python -m pytest -n "$WORKERS" --timeout 300 -p no:cacheprovider \
        -q tests
fi
cat "$OUT/summary.txt"
