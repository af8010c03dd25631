"""What the benchmark reports for object_detection beyond time and parity: the exported engine's
parity with PyTorch on raw output tensors (same weights), and the model size's (x vs l) effect."""

from __future__ import annotations

from typing import Any

import numpy as np

from video_assets.analyzers.base import typed_table
from video_assets.analyzers.object_detection.core import detect
from video_assets.analyzers.object_detection.letterbox import Letterbox
from video_assets.analyzers.object_detection.parity import detection_f1
from video_assets.analyzers.object_detection.presets import OPTIMIZED, plan
from video_assets.analyzers.object_detection.schemas import DETECTIONS_SCHEMA


def _rows(dets: list[np.ndarray]):
    return typed_table([
        {"timestamp_s": 0.0, "frame_index": i, "class_id": int(d[5]), "class_name": "", "confidence": float(d[4]),
         "x0": float(d[0]), "y0": float(d[1]), "x1": float(d[2]), "y1": float(d[3])} for i, ds in enumerate(dets) for d in ds
    ], DETECTIONS_SCHEMA)


def engine_parity(inputs: dict, loaded: dict, models: Any) -> dict:
    """``models``: the YOLO resource; ``reference_detector`` gives the optimized weights in PyTorch FP32."""
    import dataclasses

    opt, base = loaded["optimized"].model, loaded["baseline"].model
    frames_all = [f for b in inputs.values() for f in b.select(plan(OPTIMIZED))]
    sample = frames_all[:: max(1, len(frames_all) // 8)][:8]
    box = Letterbox.for_size(sample[0].image.shape[1], sample[0].image.shape[0], 640, True)
    batch = np.stack([box.apply(f.image) for f in sample])
    torch_same = models.reference_detector("optimized") if opt.engine != "torch" else opt
    ref, got = torch_same.raw(batch), opt.raw(batch)
    diff = np.abs(ref - got)
    scores = ref[:, 4:, :].max(axis=1)
    parity: dict[str, Any] = {
        "frames": len(sample),
        "raw_max_abs_diff": float(diff.max()),
        "raw_max_rel_diff": float((diff / np.maximum(np.abs(ref), 1e-3)).max()),
        "raw_ref_max": float(np.abs(ref).max()),
    }
    if float(np.quantile(scores, 0.999)) >= float(scores.max()) * (1 - 1e-6):
        # A random-init head gives (nearly) every anchor the same top class score, its bias: no
        # confidence separates detections from the rest, so detection-level parity cannot be computed.
        parity["detections"] = f"not computable: every class score is {float(scores.max()):.3g} (random-init head)"
        size: dict[str, Any] = {"note": "not computable with random-init weights"}
    else:
        conf = float(np.quantile(scores, 0.999))
        low = dataclasses.replace(OPTIMIZED, preset="bench", batch=8, conf=conf)
        f1, parts = detection_f1(_rows(detect(sample, torch_same, low)), _rows(detect(sample, opt, low)))
        size_f1, _ = detection_f1(_rows(detect(sample, base, low)), _rows(detect(sample, torch_same, low)))
        parity |= {"conf": conf, "f1": round(f1, 4), **{f"detections_{k}": v for k, v in parts.items() if k in ("reference", "candidate", "matched")}}
        size = {"f1": round(size_f1, 4), "conf": conf}
    return {
        "frames": sum(len(b.select(plan(OPTIMIZED))) for b in inputs.values()),
        "engine": f"{opt.engine}/{opt.precision}",
        "engine_build_s": loaded["optimized"].detail,
        "engine_parity": parity,
        "model_size_parity": size,
    }
