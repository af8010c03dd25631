"""text_overlay: burned-in captions read with EasyOCR.

Input: a FrameBundle; both presets read a frame every 0.5 s at native resolution (recognition
reads the full-resolution crops). Model: an ``OcrEngine`` (below), implemented for EasyOCR
(``resources/easyocr.py``) and for RapidOCR's PP-OCRv6 (``resources/rapidocr.py``); the baseline
is always EasyOCR, as the original pipeline was.

* BASELINE (the original): one ``readtext`` per frame on the full frame (the detector then works
  at 1920 px), thresholds text 0.5 / low_text 0.3 / width and height 0.5, keep confidence > 0.3
  and length > 1; a frame that yields nothing is read again in three preprocessed versions
  (binary threshold 180, inverse threshold 100, adaptive threshold).
* OPTIMIZED: the CRAFT detector at a reduced canvas (480 px on the long side instead of 1920:
  0.36 s instead of 7-11 s a frame here, and a 56 px caption is still found), frames through the
  detector in batches on a GPU (same size, so EasyOCR batches them; on CPU one by one, which
  measured faster), recognition on the full-resolution crops, and recognition skipped for a
  frame whose caption boxes did not change: each box's crop is binarized at the caption white level
  and hashed, so a background that moves behind a still caption does not defeat the reuse.
  Reused rows are flagged. The second pass runs only on frames where the detector found boxes and
  recognition kept nothing (it costs nothing on frames with no text at all).

Tables: per-sample ``detections`` and merged ``segments`` (the same caption over consecutive
samples is one row), in the style of the big video APIs.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa

from video_assets.analyzers.base import AnalyzerResult, ParityReport, col, typed_table
from video_assets.frames import Frame, FrameBundle
from video_assets.sampling import SamplingPlan

NAME = "text_overlay"


@dataclass(frozen=True)
class Config:
    preset: str
    every_s: float
    det_canvas: int  # EasyOCR canvas_size: the detector's longest side
    batched: bool
    dedupe: bool
    second_pass: str  # "empty" (baseline: every frame with no text) | "boxes" (only where boxes were found) | "off"
    text_threshold: float = 0.5
    low_text: float = 0.3
    link_threshold: float = 0.4
    width_ths: float = 0.5
    height_ths: float = 0.5
    min_confidence: float = 0.3
    min_length: int = 2
    det_batch: int = 8
    rec_batch: int = 16
    hash_bits_tolerance: int = 24  # of 512 bits per box
    segment_cer: float = 0.1  # two samples' texts within this CER are the same caption

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


BASELINE = Config(preset="baseline", every_s=0.5, det_canvas=2560, batched=False, dedupe=False, second_pass="empty")
OPTIMIZED = Config(preset="optimized", every_s=0.5, det_canvas=480, batched=True, dedupe=True, second_pass="boxes")
PRESETS = {"baseline": BASELINE, "optimized": OPTIMIZED}
# Halved on out-of-memory (video_assets.resilience).
BATCH_FIELDS = ("det_batch", "rec_batch")

# GPU: the seed plan's 40 s target for its 68.4 s video. CPU (2 cores): from `python -m benchmark`.
SPEED_TARGET_RTF = {"gpu": 40.0 / 68.4, "cpu": 2.0}

DETECTIONS_SCHEMA = pa.schema(
    [
        col("timestamp_s", pa.float64(), "presentation time of the sampled frame"),
        col("frame_index", pa.int32(), "source frame index"),
        col("text", pa.string(), "a caption block: its lines joined in reading order"),
        col("confidence", pa.float32(), "lowest recognition confidence of the block's lines"),
        col("x0", pa.float32(), "block left, fraction of frame width"),
        col("y0", pa.float32(), "block top, fraction of frame height"),
        col("x1", pa.float32(), "block right, fraction of frame width"),
        col("y1", pa.float32(), "block bottom, fraction of frame height"),
        col("reused", pa.bool_(), "true when recognition was skipped: same caption boxes as the previous sample"),
    ]
)
SEGMENTS_SCHEMA = pa.schema(
    [
        col("text", pa.string(), "caption text"),
        col("start_s", pa.float64(), "first sample showing it"),
        col("end_s", pa.float64(), "last sample showing it + the sampling interval"),
        col("x0", pa.float32(), "union box left, fraction of width"),
        col("y0", pa.float32(), "union box top"),
        col("x1", pa.float32(), "union box right"),
        col("y1", pa.float32(), "union box bottom"),
        col("max_confidence", pa.float32(), "best confidence over its samples"),
        col("samples", pa.int32(), "samples it was seen in"),
    ]
)
TABLES = ("segments", "detections")
SCHEMAS = {"segments": SEGMENTS_SCHEMA, "detections": DETECTIONS_SCHEMA}


def sampling_plans() -> list[SamplingPlan]:
    return [SamplingPlan(f"{NAME}:{c.preset}", every_s=c.every_s, max_side=None) for c in (BASELINE, OPTIMIZED)]


def _plan(config: Config) -> SamplingPlan:
    return SamplingPlan(f"{NAME}:{config.preset}", every_s=config.every_s, max_side=None)


# -- text helpers ---------------------------------------------------------------------------------
def normalize(text: str) -> str:
    return " ".join(text.lower().split())


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate: edit distance / reference length (of normalized texts)."""
    a, b = normalize(reference), normalize(hypothesis)
    if not a:
        return 0.0 if not b else 1.0
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        prev = cur
    return prev[-1] / len(a)


# -- blocks ---------------------------------------------------------------------------------------
@dataclass
class Line:
    box: tuple[float, float, float, float]  # x0 y0 x1 y1 in pixels
    text: str
    confidence: float


def group_blocks(lines: list[Line]) -> list[Line]:
    """Join lines of one caption block (stacked, overlapping horizontally, close vertically) in
    reading order: top to bottom, and left to right within a row."""
    lines = sorted(lines, key=lambda ln: (ln.box[1], ln.box[0]))
    blocks: list[list[Line]] = []
    for line in lines:
        height = line.box[3] - line.box[1]
        for block in blocks:
            last = block[-1]
            lh = last.box[3] - last.box[1]
            same_row = abs((line.box[1] + line.box[3]) / 2 - (last.box[1] + last.box[3]) / 2) < 0.5 * max(height, lh)
            gap_y = line.box[1] - last.box[3]
            overlap_x = min(line.box[2], max(b.box[2] for b in block)) - max(line.box[0], min(b.box[0] for b in block))
            gap_x = line.box[0] - last.box[2]
            if (same_row and gap_x < 1.0 * max(height, lh)) or (0 <= gap_y + 0.2 * lh < 0.8 * max(height, lh) and overlap_x > 0):
                block.append(line)
                break
        else:
            blocks.append([line])
    return [_join(block) for block in blocks]


def _join(block: list[Line]) -> Line:
    """Reading order: rows by vertical centre (a line within half a line height of a row's centre
    is on that row), rows top to bottom, lines left to right within a row."""
    rows: list[list[Line]] = []
    for line in sorted(block, key=lambda ln: (ln.box[1] + ln.box[3]) / 2):
        centre, height = (line.box[1] + line.box[3]) / 2, line.box[3] - line.box[1]
        if rows:
            row = rows[-1]
            row_centre = sum((r.box[1] + r.box[3]) / 2 for r in row) / len(row)
            if abs(centre - row_centre) < 0.5 * max(height, max(r.box[3] - r.box[1] for r in row)):
                row.append(line)
                continue
        rows.append([line])
    ordered = [ln for row in rows for ln in sorted(row, key=lambda ln: ln.box[0])]
    xs0, ys0, xs1, ys1 = zip(*(ln.box for ln in ordered))
    return Line((min(xs0), min(ys0), max(xs1), max(ys1)), " ".join(ln.text for ln in ordered), min(ln.confidence for ln in ordered))


@dataclass
class Detected:
    """One image's text boxes from an engine's detector: pixel boxes (x0, y0, x1, y1) in the
    engine's order, and whatever the engine needs to recognize them (``payload``)."""

    boxes: list[tuple[int, int, int, int]]
    payload: Any = None


class OcrEngine(Protocol):
    """What text_overlay needs from an OCR model. ``read`` is the whole pipeline on one image (the
    baseline, and the optimized preset's second pass); ``detect`` and ``recognize`` are its two
    halves, so the optimized preset can skip recognition of caption boxes that did not change."""

    name: str
    device: str
    min_confidence: float  # the engine's own floor for a caption reading (its scores have their own scale)
    binarized_retry: bool  # whether the second pass on binarized copies can find what the engine missed

    def read(self, image: np.ndarray, config: Config) -> list[Line]: ...

    def detect(self, images: list[np.ndarray], config: Config) -> list[Detected]: ...

    def recognize(self, image: np.ndarray, detected: Detected, config: Config) -> list[Line]: ...


def _keep(lines: list[Line], config: Config, floor: float = 0.0) -> list[Line]:
    least = max(config.min_confidence, floor)
    return [ln for ln in lines if ln.confidence > least and len(ln.text.strip()) >= config.min_length]


def _preprocessed(image: np.ndarray) -> list[np.ndarray]:
    """The original's second pass: binary threshold 180, inverse threshold 100, adaptive threshold."""
    import cv2

    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    _, binary = cv2.threshold(gray, 180, 255, cv2.THRESH_BINARY)
    _, inverse = cv2.threshold(gray, 100, 255, cv2.THRESH_BINARY_INV)
    adaptive = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, 11, 2)
    return [binary, inverse, adaptive]


# -- presets --------------------------------------------------------------------------------------
def _baseline_frame(engine: OcrEngine, frame: Frame, config: Config) -> list[Line]:
    kept = _keep(engine.read(frame.image, config), config, engine.min_confidence)
    if not kept and config.second_pass == "empty" and engine.binarized_retry:
        for variant in _preprocessed(frame.image):
            kept = _keep(engine.read(variant, config), config, engine.min_confidence)
            if kept:
                break
    return kept


def box_hash(gray: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """512-bit hash of a caption box: its crop binarized at the caption white level, 16x32 cells.
    A background that moves behind still white text changes few cells."""
    import cv2

    x0, y0, x1, y1 = box
    crop = gray[max(0, y0) : max(y0 + 1, y1), max(0, x0) : max(x0 + 1, x1)]
    if crop.size == 0:
        return np.zeros(512, bool)
    mask = (crop >= 200).astype(np.float32)
    return cv2.resize(mask, (32, 16), interpolation=cv2.INTER_AREA).reshape(-1) > 0.25


def _same_boxes(a: list, b: list, ha: list, hb: list, tolerance: int) -> bool:
    if len(a) != len(b) or not a:
        return False
    for (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1), x, y in zip(a, b, ha, hb):
        inter = max(0, min(ax1, bx1) - max(ax0, bx0)) * max(0, min(ay1, by1) - max(ay0, by0))
        union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter
        if union <= 0 or inter / union < 0.8 or int(np.count_nonzero(x != y)) > tolerance:
            return False
    return True


def _optimized_frames(engine: OcrEngine, frames: list[Frame], config: Config) -> tuple[list[list[Line]], list[bool], dict[str, int]]:
    import cv2

    # Batching the detector pays on a GPU; on 2 CPU cores it was slower (0.45 vs 0.32 s/frame).
    step = config.det_batch if config.batched and str(engine.device).startswith("cuda") else 1
    detected: list[Detected] = []
    for start in range(0, len(frames), step):
        detected.extend(engine.detect([f.image for f in frames[start : start + step]], config))
    results: list[list[Line]] = []
    reused: list[bool] = []
    prev_boxes: list = []
    prev_hashes: list = []
    prev_lines: list[Line] = []
    stats = {"frames_ocr": 0, "frames_reused": 0, "frames_no_boxes": 0, "second_pass": 0}
    for frame, found in zip(frames, detected):
        gray = cv2.cvtColor(frame.image, cv2.COLOR_RGB2GRAY)
        boxes = sorted(found.boxes, key=lambda b: (b[1], b[0]))
        hashes = [box_hash(gray, b) for b in boxes]
        if not boxes:
            results.append([])
            reused.append(False)
            stats["frames_no_boxes"] += 1
        elif config.dedupe and _same_boxes(boxes, prev_boxes, hashes, prev_hashes, config.hash_bits_tolerance):
            results.append(prev_lines)
            reused.append(True)
            stats["frames_reused"] += 1
        else:
            lines = _keep(engine.recognize(frame.image, found, config), config, engine.min_confidence)
            if not lines and config.second_pass == "boxes" and engine.binarized_retry:
                stats["second_pass"] += 1
                for variant in _preprocessed(frame.image):
                    lines = _keep(engine.read(variant, config), config, engine.min_confidence)
                    if lines:
                        break
            results.append(lines)
            reused.append(False)
            stats["frames_ocr"] += 1
        prev_boxes, prev_hashes, prev_lines = boxes, hashes, results[-1]
    return results, reused, stats


def is_caption(text: str) -> bool:
    """A reading with no letter or digit (".)", "--") is OCR noise on texture, not a caption."""
    return any(ch.isalnum() for ch in text)


def merge_segments(detections: pd.DataFrame, interval: float, max_cer: float) -> pd.DataFrame:
    """The same caption over consecutive samples -> one segment (a gap of one missed sample is
    bridged). Readings without a letter or digit stay in the detections table but make no segment."""
    open_segments: list[dict] = []
    done: list[dict] = []
    captions = detections[detections.text.map(is_caption)] if len(detections) else detections
    for t, group in captions.sort_values(["timestamp_s", "y0"]).groupby("timestamp_s", sort=True):
        still_open = []
        for seg in open_segments:
            if t - seg["last"] > 2.5 * interval:
                done.append(seg)
            else:
                still_open.append(seg)
        open_segments = still_open
        for row in group.itertuples():
            match = next((s for s in open_segments if s["last"] < t and cer(s["text"], row.text) <= max_cer), None)
            if match is None:
                open_segments.append({
                    "text": row.text, "start": t, "last": t, "x0": row.x0, "y0": row.y0, "x1": row.x1, "y1": row.y1,
                    "conf": row.confidence, "n": 1, "texts": {row.text: 1},
                })
            else:
                match["last"] = t
                match["n"] += 1
                match["texts"][row.text] = match["texts"].get(row.text, 0) + 1
                match["x0"], match["y0"] = min(match["x0"], row.x0), min(match["y0"], row.y0)
                match["x1"], match["y1"] = max(match["x1"], row.x1), max(match["y1"], row.y1)
                match["conf"] = max(match["conf"], row.confidence)
    done.extend(open_segments)
    rows = [
        {
            "text": max(s["texts"].items(), key=lambda kv: kv[1])[0],  # the reading seen most often
            "start_s": round(s["start"], 3), "end_s": round(s["last"] + interval, 3),
            "x0": s["x0"], "y0": s["y0"], "x1": s["x1"], "y1": s["y1"], "max_confidence": s["conf"], "samples": s["n"],
        }
        for s in sorted(done, key=lambda s: (s["start"], s["y0"]))
    ]
    return typed_table(rows, SEGMENTS_SCHEMA)


def run(bundle: FrameBundle, config: Config, engine: OcrEngine) -> AnalyzerResult:
    frames = bundle.select(_plan(config))
    t0 = time.perf_counter()
    if config.preset == "baseline" or not (config.batched or config.dedupe):
        per_frame = [_baseline_frame(engine, f, config) for f in frames]
        reused = [False] * len(frames)
        stats = {"frames_ocr": len(frames), "frames_reused": 0}
    else:
        per_frame, reused, stats = _optimized_frames(engine, frames, config)
    ocr_s = time.perf_counter() - t0
    rows = []
    w, h = bundle.info.width, bundle.info.height
    for frame, lines, was_reused in zip(frames, per_frame, reused):
        fh, fw = frame.image.shape[:2]
        for block in group_blocks(lines):
            x0, y0, x1, y1 = block.box
            rows.append({
                "timestamp_s": round(frame.pts_s, 4), "frame_index": frame.source_index, "text": block.text,
                "confidence": block.confidence, "x0": max(0.0, x0 / fw), "y0": max(0.0, y0 / fh),
                "x1": min(1.0, x1 / fw), "y1": min(1.0, y1 / fh), "reused": was_reused,
            })
    detections = typed_table(rows, DETECTIONS_SCHEMA)
    segments = merge_segments(detections, config.every_s, config.segment_cer)
    return AnalyzerResult(
        tables={"segments": segments, "detections": detections},
        stats={**stats, "engine": engine.name, "frames_sampled": len(frames), "ocr_s": round(ocr_s, 3), "segments_found": len(segments), "frame_size": f"{w}x{h}"},
        notes=[] if rows else ["no on-screen text found"],
    )


# -- parity and accuracy -------------------------------------------------------------------------
def _match(reference: list[tuple[str, float, float]], candidate: list[tuple[str, float, float]], max_cer: float) -> tuple[int, list[float]]:
    used: set[int] = set()
    matched, errors = 0, []
    for text, start, end in reference:
        best, best_cer = None, None
        for j, (ctext, cstart, cend) in enumerate(candidate):
            if j in used or min(end, cend) <= max(start, cstart):
                continue
            c = cer(text, ctext)
            if c <= max_cer and (best_cer is None or c < best_cer):
                best, best_cer = j, c
        if best is not None:
            used.add(best)
            matched += 1
            errors.append(best_cer)
    return matched, errors


def caption_f1(reference: pd.DataFrame, candidate: pd.DataFrame, max_cer: float = 0.1) -> tuple[float, dict[str, float]]:
    """Caption-text F1: a segment matches when its text is within max_cer and its time overlaps."""
    ref = [(r.text, r.start_s, r.end_s) for r in reference.itertuples()]
    cand = [(r.text, r.start_s, r.end_s) for r in candidate.itertuples()]
    if not ref and not cand:
        return 1.0, {"matched": 0, "reference": 0, "candidate": 0}
    matched, errors = _match(ref, cand, max_cer)
    precision = matched / len(cand) if cand else 0.0
    recall = matched / len(ref) if ref else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return f1, {"matched": matched, "reference": len(ref), "candidate": len(cand), "precision": round(precision, 4),
                "recall": round(recall, 4), "mean_cer": round(float(np.mean(errors)), 4) if errors else 0.0}


PARITY_THRESHOLD = 0.95


def parity(baseline: dict[str, pd.DataFrame], optimized: dict[str, pd.DataFrame]) -> ParityReport:
    """Caption-text F1 of optimized against baseline segments (CER <= 0.1, overlapping time)."""
    f1, parts = caption_f1(baseline["segments"], optimized["segments"])
    return ParityReport(
        score=round(f1, 4), parts={"f1": round(f1, 4), **parts}, passed=f1 >= PARITY_THRESHOLD,
        detail=f"{parts['matched']} of {parts['reference']} baseline captions matched by {parts['candidate']} optimized",
    )


def accuracy(segments: pd.DataFrame, truth_captions: list[dict], max_cer: float = 0.1) -> dict[str, float]:
    """Against ground truth captions: recall, precision, mean CER of the matched ones."""
    truth = pd.DataFrame([{"text": c["text"], "start_s": c["start"], "end_s": c["end"]} for c in truth_captions])
    f1, parts = caption_f1(truth, segments, max_cer)
    return {"recall": parts["recall"], "precision": parts["precision"], "mean_cer": parts["mean_cer"], "f1": round(f1, 4)}


def accuracy_by_pattern(segments: pd.DataFrame, truth_captions: list[dict], max_cer: float = 0.1) -> dict[str, dict[str, float]]:
    """Recall per hard pattern (``sample_corpus.HARD_PATTERNS``): of the captions showing a
    pattern, how many a segment matches (text within max_cer, overlapping time), and their CER."""
    out: dict[str, dict[str, float]] = {}
    patterns = sorted({p for c in truth_captions for p in c.get("patterns", ())})
    for pattern in patterns:
        captions = [c for c in truth_captions if pattern in c.get("patterns", ())]
        truth = [(c["text"], c["start"], c["end"]) for c in captions]
        found = [(r.text, r.start_s, r.end_s) for r in segments.itertuples()]
        matched, errors = _match(truth, found, max_cer)
        out[pattern] = {"captions": len(captions), "recall": round(matched / len(captions), 4),
                        "mean_cer": round(float(np.mean(errors)), 4) if errors else None}
    return out
