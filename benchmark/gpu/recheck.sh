#!/usr/bin/env bash
# Second GPU call of the first lent session (docs/gpu.md, "Measuring on a
# GPU"): the out-of-memory exercise again after the fix it prompted (the failed batch's memory is
# freed before half the batch runs), and Qwen2-VL at the plan's 7B shape (random-init) on one whole
# clip, the model the plan's "under 100 s" target is for. Same kit, carry [".gpu"].
#   PY=.venv/bin/python SHAPE=tiny DEVICE=cpu bash benchmark/gpu/recheck.sh   the same steps on a CPU
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-$(mktemp -d)}; PY=${PY:-python3}; SHAPE=${SHAPE:-7b}; KIT=${VIDEO_ASSETS_GPU_KIT:-.gpu}
if [ "$PY" = python3 ]; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site "$KIT"/wheels/*.whl || exit 1
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
export VIDEO_ASSETS_MODEL_CACHE=${VIDEO_ASSETS_MODEL_CACHE:-/tmp/video-assets-models} VIDEO_ASSETS_DEVICE=${DEVICE:-cuda}
export VIDEO_ASSETS_YOLO_BASELINE=random:yolov8x VIDEO_ASSETS_YOLO_OPTIMIZED=random:yolov8l
echo "== out-of-memory exercise"
OUT="$OUT" timeout --signal=KILL 90 $PY benchmark/gpu/oom.py "$KIT/inputs" >"$OUT/oom_log.txt" 2>&1; echo "exit $?"
cat "$OUT/oom.json" 2>/dev/null
echo "== qwen2_vl_temporal, random:$SHAPE, one whole clip"
mkdir -p /tmp/recheck-inputs && cp "$KIT"/inputs/rocket_story.* "$KIT"/inputs/ground_truth.json /tmp/recheck-inputs/
VIDEO_ASSETS_QWEN_BASELINE=random:$SHAPE VIDEO_ASSETS_QWEN_OPTIMIZED=random:$SHAPE timeout --signal=KILL ${QWEN_LIMIT:-300} \
  $PY -m benchmark --inputs /tmp/recheck-inputs --analyzers qwen2_vl_temporal --out "$OUT" --name gpu_qwen_$SHAPE \
  --seconds 0 --reps 1 ${ARGS:-} >"$OUT/qwen_log.txt" 2>&1; echo "exit $?"
tail -3 "$OUT/qwen_log.txt"; cat "$OUT/gpu_qwen_$SHAPE.md" 2>/dev/null
