"""object_detection for one video: detect on the sampled frames, then summarize per class."""

from __future__ import annotations

import time
from typing import Iterable, Iterator

import numpy as np
import pandas as pd

from video_assets.analyzers.base import AnalyzerResult, typed_table
from video_assets.analyzers.object_detection.letterbox import Letterbox, postprocess
from video_assets.analyzers.object_detection.model import Detector
from video_assets.analyzers.object_detection.presets import Config, plan
from video_assets.analyzers.object_detection.schemas import CLASSES_SCHEMA, DETECTIONS_SCHEMA
from video_assets.media.frames import Frame, FrameBundle


def detect_stream(frames: Iterable[Frame], detector: Detector, config: Config, timing: list[float] | None = None) -> Iterator[tuple[Frame, np.ndarray]]:
    """(frame, detections (n, 6)) in order, ``config.batch`` frames in memory at a time (same size),
    or fewer where the detector says it takes fewer (``max_frames``: the CPU engines; the results
    are the same to the bit whatever the batch). ``timing``: seconds spent in the detector are
    appended to it."""
    size = min(config.batch, getattr(detector, "max_frames", None) or config.batch)
    box = None
    chunk: list[Frame] = []

    def run_chunk() -> Iterator[tuple[Frame, np.ndarray]]:
        h, w = chunk[0].image.shape[:2]
        t0 = time.perf_counter()
        batch = np.stack([box.apply(f.image) for f in chunk])
        found = postprocess(detector.raw(batch), box, w, h, config.conf, config.iou, config.max_det)
        if timing is not None:
            timing.append(time.perf_counter() - t0)
        yield from zip(chunk, found)

    for frame in frames:
        if box is None:
            h, w = frame.image.shape[:2]
            box = Letterbox.for_size(w, h, config.imgsz, config.rect)
        chunk.append(frame)
        if len(chunk) == size:
            yield from run_chunk()
            chunk = []
    if chunk:
        yield from run_chunk()


def detect(frames: list, detector: Detector, config: Config) -> list[np.ndarray]:
    """frames: list of Frame (same size). Returns per-frame detections (n, 6), in order."""
    return [d for _, d in detect_stream(frames, detector, config)]


def run(bundle: FrameBundle, config: Config, detector: Detector) -> AnalyzerResult:
    """Streams the plan's frames through the detector a batch at a time; keeps the rows and the
    frame with the most boxes (for the UI's annotated preview)."""
    t0 = time.perf_counter()
    rows = []
    count = 0
    best: tuple[int, Frame, np.ndarray] | None = None
    timing: list[float] = []
    for frame, d in detect_stream(bundle.frames(plan(config)), detector, config, timing):
        count += 1
        if best is None or len(d) > best[0]:
            best = (len(d), frame, d)
        for x0, y0, x1, y1, score, cls in d:
            cid = int(cls)
            rows.append({
                "timestamp_s": round(frame.pts_s, 4), "frame_index": frame.source_index, "class_id": cid,
                "class_name": detector.names.get(cid, str(cid)), "confidence": float(score),
                "x0": float(x0), "y0": float(y0), "x1": float(x1), "y1": float(y1),
            })
    infer_s = sum(timing)
    load_s = time.perf_counter() - t0 - infer_s
    detections = typed_table(rows, DETECTIONS_SCHEMA)
    images = {}
    if best is not None:
        images["annotated_frame"] = annotate(best[1].image, best[2], detector.names)
    return AnalyzerResult(
        images=images,
        tables={"detections": detections, "classes": class_summary(detections)},
        stats={
            "frames": count, "frame_load_s": round(load_s, 3), "inference_s": round(infer_s, 3),
            "s_per_frame": round(infer_s / count, 4) if count else 0.0,
            "engine": detector.engine, "precision": detector.precision,
        },
        notes=[] if rows else ["no detections"],
    )


def annotate(image: np.ndarray, dets: np.ndarray, names: dict[int, str], width: int = 270) -> bytes:
    """A small PNG of one frame with its boxes drawn."""
    import io

    from PIL import Image, ImageDraw

    h, w = image.shape[:2]
    pic = Image.fromarray(image).resize((width, int(round(h * width / w))))
    draw = ImageDraw.Draw(pic)
    for x0, y0, x1, y1, score, cls in dets:
        box = [x0 * pic.width, y0 * pic.height, x1 * pic.width, y1 * pic.height]
        draw.rectangle(box, outline=(255, 40, 40), width=2)
        draw.text((box[0] + 2, box[1] + 2), f"{names.get(int(cls), int(cls))} {score:.2f}", fill=(255, 255, 0))
    out = io.BytesIO()
    pic.save(out, format="PNG")
    return out.getvalue()


def class_summary(detections: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for name, group in detections.groupby("class_name", sort=True):
        per_frame = group.groupby("frame_index").size()
        rows.append({
            "class_name": name, "first_seen_s": float(group.timestamp_s.min()), "last_seen_s": float(group.timestamp_s.max()),
            "frames_present": int(per_frame.size), "max_simultaneous": int(per_frame.max()), "detections": int(len(group)),
        })
    return typed_table(rows, CLASSES_SCHEMA)
