"""faces for one video: BlazeFace on the sampled frames, one row per face and one per sample.

Streams the plan's frames, ``config.batch`` network inputs at a time; keeps across frames only the
last inferred frame's 64 px luma and detections (for skipping unchanged frames)."""

from __future__ import annotations

import time
from typing import Iterator, NamedTuple

import cv2
import numpy as np
import pandas as pd
import pyarrow as pa

from video_assets.analyzers.base import AnalyzerResult, col, typed_table
from video_assets.analyzers.faces import blazeface
from video_assets.analyzers.faces.model import FaceNet
from video_assets.analyzers.faces.presets import Config, plan
from video_assets.media.frames import FrameBundle, luma

FACES_SCHEMA = pa.schema([
    col("timestamp_s", pa.float64(), "presentation time of the frame"),
    col("frame_index", pa.int32(), "source frame index"),
    col("face", pa.int32(), "face number in the frame from 0, largest first"),
    col("score", pa.float32(), "detection confidence (BlazeFace, 0-1)"),
    col("x0", pa.float32(), "box left, fraction of frame width"),
    col("y0", pa.float32(), "box top, fraction of frame height"),
    col("x1", pa.float32(), "box right, fraction of frame width"),
    col("y1", pa.float32(), "box bottom, fraction of frame height"),
    col("area_share", pa.float32(), "the box's share of the frame's area"),
])
SAMPLES_SCHEMA = pa.schema([
    col("timestamp_s", pa.float64(), "presentation time of the sampled frame"),
    col("frame_index", pa.int32(), "source frame index"),
    col("faces", pa.int32(), "faces found in it"),
    col("largest_share", pa.float32(), "the largest face's share of the frame's area (0: none)"),
    col("reused", pa.bool_(), "the frame barely changed since the last one looked at: its faces were carried over"),
])
TABLES = ("faces", "samples")
SCHEMAS = {"faces": FACES_SCHEMA, "samples": SAMPLES_SCHEMA}
THUMB = 64


class Sample(NamedTuple):
    pts_s: float
    source_index: int


def _thumb(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    scale = THUMB / max(h, w)
    return cv2.resize(luma(image), (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA).astype(np.float32)


def _detect(chunk: list[tuple[int, np.ndarray, list]], net: FaceNet, anchor_xy: np.ndarray, config: Config) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """(frame index, network inputs, their maps) -> (frame index, boxes in frame fractions, scores), in order."""
    batch = np.concatenate([inputs for _, inputs, _ in chunk])
    raw_boxes, raw_scores = net.raw(batch)
    k = 0
    for index, inputs, maps in chunk:
        found_b, found_s = [], []
        for mapping in maps:
            b, s = blazeface.decode(raw_boxes[k], raw_scores[k], anchor_xy, net.size, config.min_score)
            found_b.append(blazeface.to_frame(b, mapping))
            found_s.append(s)
            k += 1
        boxes, scores = blazeface.weighted_nms(np.concatenate(found_b), np.concatenate(found_s))
        big = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) >= config.min_face_share
        yield index, boxes[big], scores[big]


def run(bundle: FrameBundle, config: Config, net: FaceNet) -> AnalyzerResult:
    """Frames go to the network ``config.batch`` inputs at a time; a frame that barely changed since
    the last one sent (``skip_change``) takes that frame's faces, so the rows stay in time order."""
    t0 = time.perf_counter()
    if net.variant != config.variant:
        raise ValueError(f"faces preset {config.preset!r} needs the {config.variant!r} BlazeFace model, got {net.variant!r}")
    anchor_xy = blazeface.anchors(net.variant)
    faces: list[dict] = []
    samples: list[dict] = []
    state = {"infer_s": 0.0, "carried": (np.zeros((0, 4), np.float32), np.zeros(0, np.float32))}
    # Only the network inputs wait for a batch (the frames themselves are let go at once), and the
    # samples waiting to be recorded are (time, index) pairs: memory does not grow with the video
    # even where many unchanged frames follow each other.
    chunk: list[tuple[int, np.ndarray, list]] = []
    pending: list[tuple[Sample, bool]] = []  # in order; True: carry the faces of the frame sent before it
    last_thumb: np.ndarray | None = None
    inferred = reused = 0

    def record(frame: Sample, boxes: np.ndarray, scores: np.ndarray, was_reused: bool) -> None:
        areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        for n, i in enumerate(np.argsort(-areas, kind="stable")):
            x0, y0, x1, y1 = (round(float(v), 4) for v in boxes[i])
            faces.append({"timestamp_s": round(frame.pts_s, 4), "frame_index": frame.source_index, "face": n,
                          "score": round(float(scores[i]), 4), "x0": x0, "y0": y0, "x1": x1, "y1": y1,
                          "area_share": round(float(areas[i]), 4)})
        samples.append({"timestamp_s": round(frame.pts_s, 4), "frame_index": frame.source_index, "faces": len(boxes),
                        "largest_share": round(float(areas.max()), 4) if len(boxes) else 0.0, "reused": was_reused})

    def flush() -> None:
        found: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        if chunk:
            t = time.perf_counter()
            found = {i: (b, s) for i, b, s in _detect(chunk, net, anchor_xy, config)}
            state["infer_s"] += time.perf_counter() - t
        for frame, was_reused in pending:
            if not was_reused:
                state["carried"] = found[frame.source_index]
            record(frame, *state["carried"], was_reused)
        chunk.clear()
        pending.clear()

    for frame in bundle.frames(plan(config)):
        thumb = _thumb(frame.image)
        sample = Sample(frame.pts_s, frame.source_index)
        if (config.skip_change > 0 and last_thumb is not None and last_thumb.shape == thumb.shape
                and float(np.abs(last_thumb - thumb).mean()) < config.skip_change):
            reused += 1
            pending.append((sample, True))
            continue
        last_thumb = thumb
        inputs, maps = blazeface.square_inputs(frame.image, net.size, config.feed or config.tiles)
        chunk.append((frame.source_index, inputs, maps))
        pending.append((sample, False))
        inferred += 1
        if sum(len(c[1]) for c in chunk) >= config.batch:
            flush()
    flush()
    sample_table = typed_table(samples, SAMPLES_SCHEMA)
    return AnalyzerResult(
        tables={"faces": typed_table(faces, FACES_SCHEMA), "samples": sample_table},
        stats=summary(sample_table) | {
            "frames": len(samples), "inferred": inferred, "reused": reused, "inference_s": round(state["infer_s"], 3),
            "total_s": round(time.perf_counter() - t0, 3), "model": f"blazeface-{net.variant}", "engine": net.engine,
        },
        notes=[] if faces else ["no faces"],
    )


def summary(samples: pd.DataFrame) -> dict[str, float | int]:
    """Per video, from the samples table (one home: metadata, profile and evaluation ask here):
    the share of samples with a face, the largest face's share of the frame, the most faces at
    once, and the first time a face is on screen (-1: never)."""
    with_face = samples[samples.faces > 0]
    return {
        "face_share": round(len(with_face) / len(samples), 4) if len(samples) else 0.0,
        "largest_face_share": round(float(samples.largest_share.max()), 4) if len(samples) else 0.0,
        "max_faces": int(samples.faces.max()) if len(samples) else 0,
        "first_face_s": round(float(with_face.timestamp_s.min()), 3) if len(with_face) else -1.0,
    }


def face_spans(samples: pd.DataFrame) -> list[tuple[float, float, str]]:
    """Runs of consecutive samples with a face, as (start, end, "face" / "n faces") spans; a
    sample stands for the time up to the next one (the last one for one sampling step)."""
    times = samples.timestamp_s.to_numpy(dtype=np.float64)
    step = float(np.median(np.diff(times))) if len(times) > 1 else 0.5
    ends = np.append(times[1:], times[-1] + step) if len(times) else times
    out: list[tuple[float, float, str]] = []
    for t, end, n in zip(times, ends, samples.faces):
        if n <= 0:
            continue
        label = "face" if n == 1 else f"{n} faces"
        if out and abs(out[-1][1] - t) < 1e-6 and out[-1][2] == label:
            out[-1] = (out[-1][0], float(end), label)
        else:
            out.append((float(t), float(end), label))
    return out
