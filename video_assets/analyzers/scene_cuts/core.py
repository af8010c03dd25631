"""scene_cuts for one video: a difference score for each consecutive pair of sampled frames, and a
cut wherever it exceeds the threshold. Pure NumPy: no model."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pyarrow as pa

from video_assets.analyzers.base import AnalyzerResult, ParityReport, col, f1_parity, matching_f1, typed_table
from video_assets.analyzers.scene_cuts.presets import Config, plan
from video_assets.media.frames import FrameBundle, luma
from video_assets.media.gaps import crosses_gap

CUTS_SCHEMA = pa.schema([
    col("cut", pa.int32(), "cut number from 0"),
    col("time_s", pa.float64(), "presentation time of the first sampled frame after the cut"),
    col("previous_s", pa.float64(), "presentation time of the last sampled frame before it (the cut lies between)"),
    col("difference", pa.float64(), "difference score of the pair, 0 (same) to 1"),
])
TABLES = ("cuts",)
SCHEMAS = {"cuts": CUTS_SCHEMA}


def difference(a: np.ndarray, b: np.ndarray, config: Config) -> float:
    """Weighted sum of the luma histograms' L1 distance (halved: 0..1) and the mean absolute luma
    difference (0..1). Histograms see a new scene's tones; the pixel term sees a new layout."""
    ha = np.histogram(a, bins=config.bins, range=(0.0, 256.0))[0] / a.size
    hb = np.histogram(b, bins=config.bins, range=(0.0, 256.0))[0] / b.size
    hist = float(np.abs(ha - hb).sum()) / 2.0
    pixels = float(np.abs(a - b).mean()) / 255.0
    return config.hist_weight * hist + (1.0 - config.hist_weight) * pixels


def run(bundle: FrameBundle, config: Config, model: None = None) -> AnalyzerResult:
    """Streams the plan's frames: only the previous frame's luma is kept. Two frames with a decode
    gap between them are not compared: the change across the damage is not a cut."""
    t0 = time.perf_counter()
    rows: list[dict] = []
    scores: list[float] = []
    compared = 0
    previous = None  # (pts_s, luma)
    for frame in bundle.frames(plan(config)):
        current = (frame.pts_s, luma(frame.image))
        compared += 1
        if previous is not None and not crosses_gap(previous[0], current[0], bundle.gaps):
            score = difference(previous[1], current[1], config)
            scores.append(score)
            if score > config.threshold:
                rows.append({"cut": len(rows), "time_s": round(current[0], 4), "previous_s": round(previous[0], 4), "difference": round(score, 4)})
        previous = current
    duration = bundle.info.duration_s
    shots = len(rows) + 1 if compared else 0
    return AnalyzerResult(
        tables={"cuts": typed_table(rows, CUTS_SCHEMA)},
        stats={
            "frames_compared": compared, "cuts_found": len(rows),
            "cuts_per_minute": round(len(rows) / duration * 60.0, 2) if duration else 0.0,
            "mean_shot_s": round(duration / shots, 3) if shots else 0.0,
            "max_difference": round(max(scores), 4) if scores else 0.0,
            "compare_s": round(time.perf_counter() - t0, 4),
        },
        notes=[] if rows else ["no cuts: one continuous shot"],
    )


def cut_f1(reference: pd.DataFrame | list[float], candidate: pd.DataFrame, slack_s: float = 0.0) -> tuple[float, dict[str, float]]:
    """F1 of cuts. ``reference``: a cuts table (a cut matches one lying between the same frames)
    or true cut times (a cut matches when the time lies in (previous_s - slack, time_s + slack])."""
    spans = [(r.previous_s, r.time_s) for r in candidate.itertuples()]
    if isinstance(reference, pd.DataFrame):
        truth = [(r.previous_s + r.time_s) / 2 for r in reference.itertuples()]
    else:
        truth = list(reference)
    used: set[int] = set()
    matched = 0
    for t in truth:
        j = next((j for j, (a, b) in enumerate(spans) if j not in used and a - slack_s < t <= b + slack_s), None)
        if j is not None:
            used.add(j)
            matched += 1
    return matching_f1(matched, len(truth), len(spans))


PARITY_THRESHOLD = 0.9


def parity(baseline: dict[str, pd.DataFrame], optimized: dict[str, pd.DataFrame]) -> ParityReport:
    """Cut F1 of optimized against baseline (the same frames, so a cut matches exactly)."""
    f1, parts = cut_f1(baseline["cuts"], optimized["cuts"])
    return f1_parity(f1, parts, PARITY_THRESHOLD, f"{parts['matched']} of {parts['reference']} baseline cuts found by {parts['candidate']} optimized")
