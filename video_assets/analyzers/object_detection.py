"""object_detection: Ultralytics YOLO over the shared frames.

Input: a FrameBundle; the plan keeps every 10th source frame at 640 px on the long side (YOLO
letterboxes to ``imgsz`` 640 anyway, so more pixels would be thrown away). Model: a
``Detector`` (``resources/yolo.py``): PyTorch, OpenVINO, ONNX Runtime or TensorRT behind one
``raw`` call, so every engine shares the same pre- and post-processing and differs only in the
network's execution. That makes the engine's parity measurable on raw output tensors.

* BASELINE (the original): yolov8x in PyTorch (FP16 on GPU, FP32 on CPU), batches of 32.
* OPTIMIZED: yolov8l through an exported engine: TensorRT INT8 on NVIDIA GPUs, OpenVINO on CPU;
  batches of 64; a rectangular letterbox (640x384 for portrait video instead of 640x640: 40 % fewer
  pixels, same scale), which the exported engines take through dynamic input shapes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa

from video_assets.analyzers.base import AnalyzerResult, ParityReport, col, typed_table
from video_assets.frames import FrameBundle
from video_assets.sampling import SamplingPlan

NAME = "object_detection"
STRIDE = 32


@dataclass(frozen=True)
class Config:
    preset: str
    model: str  # architecture name; the weights come from the resource
    engine: str  # torch | openvino | onnx | tensorrt | auto (tensorrt on CUDA, openvino on CPU)
    precision: str  # fp32 | fp16 | bf16 | int8 | auto (fp16 on CUDA, fp32 on CPU for torch; int8 for tensorrt)
    batch: int
    rect: bool  # letterbox to the smallest stride multiple instead of a square
    imgsz: int = 640
    conf: float = 0.25
    iou: float = 0.7
    max_det: int = 300
    every_n_frames: int = 10

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


BASELINE = Config(preset="baseline", model="yolov8x", engine="torch", precision="auto", batch=32, rect=False)
OPTIMIZED = Config(preset="optimized", model="yolov8l", engine="auto", precision="auto", batch=64, rect=True)
PRESETS = {"baseline": BASELINE, "optimized": OPTIMIZED}
# Halved on out-of-memory (video_assets.resilience).
BATCH_FIELDS = ("batch",)

# GPU: the seed plan's 20 s target for its 68.4 s video. CPU: from `python -m benchmark` (2 cores).
SPEED_TARGET_RTF = {"gpu": 20.0 / 68.4, "cpu": 1.5}

DETECTIONS_SCHEMA = pa.schema(
    [
        col("timestamp_s", pa.float64(), "presentation time of the frame"),
        col("frame_index", pa.int32(), "source frame index"),
        col("class_id", pa.int32(), "COCO class id"),
        col("class_name", pa.string(), "COCO class name"),
        col("confidence", pa.float32(), "detection confidence"),
        col("x0", pa.float32(), "box left, fraction of frame width"),
        col("y0", pa.float32(), "box top, fraction of frame height"),
        col("x1", pa.float32(), "box right, fraction of frame width"),
        col("y1", pa.float32(), "box bottom, fraction of frame height"),
    ]
)
CLASSES_SCHEMA = pa.schema(
    [
        col("class_name", pa.string(), "COCO class name"),
        col("first_seen_s", pa.float64(), "first frame with this class"),
        col("last_seen_s", pa.float64(), "last frame with this class"),
        col("frames_present", pa.int32(), "sampled frames with at least one detection of it"),
        col("max_simultaneous", pa.int32(), "most detections of it in one frame"),
        col("detections", pa.int32(), "detections in total"),
    ]
)
TABLES = ("detections", "classes")
SCHEMAS = {"detections": DETECTIONS_SCHEMA, "classes": CLASSES_SCHEMA}


def sampling_plans() -> list[SamplingPlan]:
    return [
        SamplingPlan(f"{NAME}:{c.preset}", every_n_frames=c.every_n_frames, max_side=c.imgsz)
        for c in (BASELINE, OPTIMIZED)
    ]


class Detector(Protocol):
    """A YOLO network on some engine. names: class id -> name; engine/precision: what actually ran."""

    names: dict[int, str]
    engine: str
    precision: str

    def raw(self, batch: np.ndarray) -> np.ndarray:
        """batch: float32 (N, 3, H, W) in [0, 1], H and W multiples of 32 -> raw head output (N, 4 + classes, anchors)."""


@dataclass(frozen=True)
class Letterbox:
    """How frames of one size map into the network input: scale, then pad to (height, width)."""

    scale: float
    pad_x: int
    pad_y: int
    width: int
    height: int

    @classmethod
    def for_size(cls, w: int, h: int, imgsz: int, rect: bool) -> "Letterbox":
        scale = imgsz / max(w, h)
        nw, nh = int(round(w * scale)), int(round(h * scale))
        if rect:
            tw, th = int(np.ceil(nw / STRIDE) * STRIDE), int(np.ceil(nh / STRIDE) * STRIDE)
        else:
            tw = th = imgsz
        return cls(scale=scale, pad_x=(tw - nw) // 2, pad_y=(th - nh) // 2, width=tw, height=th)

    def apply(self, image: np.ndarray) -> np.ndarray:
        """uint8 RGB (h, w, 3) -> float32 (3, height, width) in [0, 1], grey (114) padding as Ultralytics does."""
        import cv2

        h, w = image.shape[:2]
        nw, nh = int(round(w * self.scale)), int(round(h * self.scale))
        resized = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_LINEAR) if (nw, nh) != (w, h) else image
        canvas = np.full((self.height, self.width, 3), 114, dtype=np.uint8)
        canvas[self.pad_y : self.pad_y + nh, self.pad_x : self.pad_x + nw] = resized
        return canvas.transpose(2, 0, 1).astype(np.float32) / 255.0


def postprocess(raw: np.ndarray, box: Letterbox, w: int, h: int, conf: float, iou: float, max_det: int) -> list[np.ndarray]:
    """Raw head output -> per image an array (n, 6): x0, y0, x1, y1 (normalized to the frame), confidence, class."""
    import torch
    from ultralytics.utils.nms import non_max_suppression

    preds = non_max_suppression(torch.from_numpy(np.ascontiguousarray(raw, dtype=np.float32)), conf_thres=conf, iou_thres=iou, max_det=max_det)
    out = []
    for p in preds:
        p = p.numpy()
        if p.size:
            p[:, [0, 2]] = ((p[:, [0, 2]] - box.pad_x) / box.scale / w).clip(0, 1)
            p[:, [1, 3]] = ((p[:, [1, 3]] - box.pad_y) / box.scale / h).clip(0, 1)
        out.append(p)
    return out


def detect(frames: list, detector: Detector, config: Config) -> list[np.ndarray]:
    """frames: list of Frame (same size). Returns per-frame detections (n, 6), in order."""
    if not frames:
        return []
    h, w = frames[0].image.shape[:2]
    box = Letterbox.for_size(w, h, config.imgsz, config.rect)
    results: list[np.ndarray] = []
    for start in range(0, len(frames), config.batch):
        chunk = frames[start : start + config.batch]
        batch = np.stack([box.apply(f.image) for f in chunk])
        results.extend(postprocess(detector.raw(batch), box, w, h, config.conf, config.iou, config.max_det))
    return results


def run(bundle: FrameBundle, config: Config, detector: Detector) -> AnalyzerResult:
    import time

    plan = next(p for p in sampling_plans() if p.name.endswith(f":{config.preset}"))
    t0 = time.perf_counter()
    frames = bundle.select(plan)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    dets = detect(frames, detector, config)
    infer_s = time.perf_counter() - t0
    rows = []
    for frame, d in zip(frames, dets):
        for x0, y0, x1, y1, score, cls in d:
            cid = int(cls)
            rows.append({
                "timestamp_s": round(frame.pts_s, 4), "frame_index": frame.source_index, "class_id": cid,
                "class_name": detector.names.get(cid, str(cid)), "confidence": float(score),
                "x0": float(x0), "y0": float(y0), "x1": float(x1), "y1": float(y1),
            })
    detections = typed_table(rows, DETECTIONS_SCHEMA)
    images = {}
    if frames:
        best = max(range(len(frames)), key=lambda i: len(dets[i]))
        images["annotated_frame"] = annotate(frames[best].image, dets[best], detector.names)
    return AnalyzerResult(
        images=images,
        tables={"detections": detections, "classes": class_summary(detections)},
        stats={
            "frames": len(frames), "frame_load_s": round(load_s, 3), "inference_s": round(infer_s, 3),
            "s_per_frame": round(infer_s / len(frames), 4) if frames else 0.0,
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


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a: (n, 4), b: (m, 4) x0 y0 x1 y1 -> (n, m)."""
    x0 = np.maximum(a[:, None, 0], b[None, :, 0])
    y0 = np.maximum(a[:, None, 1], b[None, :, 1])
    x1 = np.minimum(a[:, None, 2], b[None, :, 2])
    y1 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-12)


def detection_f1(reference: pd.DataFrame, candidate: pd.DataFrame, iou_min: float = 0.5) -> tuple[float, dict[str, float]]:
    """Class-matched F1 at IoU >= iou_min, frame by frame (greedy matching by IoU)."""
    if reference.empty and candidate.empty:
        return 1.0, {"matched": 0, "reference": 0, "candidate": 0}
    matched = 0
    frames = set(reference.frame_index) | set(candidate.frame_index)
    ref_by = dict(tuple(reference.groupby(["frame_index", "class_id"])))
    cand_by = dict(tuple(candidate.groupby(["frame_index", "class_id"])))
    for key in set(ref_by) & set(cand_by):
        a = ref_by[key][["x0", "y0", "x1", "y1"]].to_numpy(np.float64)
        b = cand_by[key][["x0", "y0", "x1", "y1"]].to_numpy(np.float64)
        ious = _iou(a, b)
        while ious.size and ious.max() >= iou_min:
            i, j = np.unravel_index(np.argmax(ious), ious.shape)
            matched += 1
            ious[i, :] = -1
            ious[:, j] = -1
    precision = matched / len(candidate) if len(candidate) else 0.0
    recall = matched / len(reference) if len(reference) else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return f1, {"matched": matched, "reference": len(reference), "candidate": len(candidate), "frames": len(frames),
                "precision": round(precision, 4), "recall": round(recall, 4)}


PARITY_THRESHOLD = 0.95


def parity(baseline: dict[str, pd.DataFrame], optimized: dict[str, pd.DataFrame]) -> ParityReport:
    """Class-matched detection F1 at IoU >= 0.5 of optimized against baseline."""
    f1, parts = detection_f1(baseline["detections"], optimized["detections"])
    return ParityReport(
        score=round(f1, 4), parts={"f1": round(f1, 4), **parts}, passed=f1 >= PARITY_THRESHOLD,
        detail=f"F1 {f1:.3f}: {parts['matched']} matched of {parts['reference']} baseline / {parts['candidate']} optimized detections",
    )
