"""text_overlay for one video: read the sampled frames, then merge readings into segments."""

from __future__ import annotations

import time

import numpy as np

from video_assets.analyzers.base import AnalyzerResult, typed_table
from video_assets.analyzers.text_overlay.blocks import group_blocks
from video_assets.analyzers.text_overlay.model import OcrEngine
from video_assets.analyzers.text_overlay.presets import Config, plan
from video_assets.analyzers.text_overlay.reading import _baseline_frame, optimized_stream
from video_assets.analyzers.text_overlay.schemas import DETECTIONS_SCHEMA
from video_assets.analyzers.text_overlay.segments import merge_segments
from video_assets.analyzers.text_overlay.text import nfc
from video_assets.media.frames import FrameBundle, luma


def contrast(image: np.ndarray, box: tuple[float, float, float, float]) -> float:
    """Luma range inside a box (98th - 2nd percentile, 0-255). Burned-in captions are drawn to be
    read (white fill, dark outline: near 255); text the OCR finds in a blurred or dim picture is not."""
    h, w = image.shape[:2]
    x0, y0, x1, y1 = max(0, int(box[0])), max(0, int(box[1])), min(w, int(np.ceil(box[2]))), min(h, int(np.ceil(box[3])))
    crop = image[y0:y1, x0:x1]
    if crop.size == 0:
        return 0.0
    low, high = np.percentile(luma(crop) if crop.ndim == 3 else crop, (2, 98))
    return round(float(high - low), 1)


def run(bundle: FrameBundle, config: Config, engine: OcrEngine) -> AnalyzerResult:
    """Streams the plan's frames: each sample's lines become rows at once, and its image is let go
    (the optimized preset keeps only what reuse needs: ``reading.optimized_stream``)."""
    frames = bundle.frames(plan(config))
    t0 = time.perf_counter()
    one_by_one = config.preset == "baseline" or not (config.batched or config.dedupe)
    if one_by_one:
        stats = {"frames_ocr": 0, "frames_reused": 0}
        read = ((f, _baseline_frame(engine, f, config)) for f in frames)
    else:
        stats = {}
        read = optimized_stream(engine, frames, config, stats)
    rows = []
    sampled = 0
    w, h = bundle.info.width, bundle.info.height
    for frame, lines in read:
        sampled += 1
        fh, fw = frame.image.shape[:2]
        for block in group_blocks(lines):
            x0, y0, x1, y1 = block.box
            rows.append({
                "timestamp_s": round(frame.pts_s, 4), "frame_index": frame.source_index, "text": nfc(block.text),
                "confidence": block.confidence, "x0": max(0.0, x0 / fw), "y0": max(0.0, y0 / fh),
                "x1": min(1.0, x1 / fw), "y1": min(1.0, y1 / fh), "reused": block.reused,
                "contrast": contrast(frame.image, block.box),
            })
    if one_by_one:
        stats["frames_ocr"] = sampled
    ocr_s = time.perf_counter() - t0
    detections = typed_table(rows, DETECTIONS_SCHEMA)
    segments = merge_segments(detections, config.every_s, config.segment_cer, w / h if h else 1080 / 1920)
    return AnalyzerResult(
        tables={"segments": segments, "detections": detections},
        stats={**stats, "engine": engine.name, "frames_sampled": sampled, "ocr_s": round(ocr_s, 3), "segments_found": len(segments), "scene_text_segments": int((segments["kind"] == "scene").sum()), "frame_size": f"{w}x{h}"},
        notes=[] if rows else ["no on-screen text found"],
    )
