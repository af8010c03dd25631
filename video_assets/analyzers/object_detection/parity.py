"""object_detection parity: class-matched detection F1 of optimized against baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd

from video_assets.analyzers.base import ParityReport, f1_parity, greedy_box_matches, matching_f1


def detection_f1(reference: pd.DataFrame, candidate: pd.DataFrame, iou_min: float = 0.5) -> tuple[float, dict[str, float]]:
    """Class-matched F1 at IoU >= iou_min, frame by frame (greedy matching by IoU)."""
    matched = 0
    frames = set(reference.frame_index) | set(candidate.frame_index)
    ref_by = dict(tuple(reference.groupby(["frame_index", "class_id"])))
    cand_by = dict(tuple(candidate.groupby(["frame_index", "class_id"])))
    for key in set(ref_by) & set(cand_by):
        a = ref_by[key][["x0", "y0", "x1", "y1"]].to_numpy(np.float64)
        b = cand_by[key][["x0", "y0", "x1", "y1"]].to_numpy(np.float64)
        matched += greedy_box_matches(a, b, iou_min)
    return matching_f1(matched, len(reference), len(candidate), frames=len(frames))


PARITY_THRESHOLD = 0.95


def parity(baseline: dict[str, pd.DataFrame], optimized: dict[str, pd.DataFrame]) -> ParityReport:
    """Class-matched detection F1 at IoU >= 0.5 of optimized against baseline."""
    f1, parts = detection_f1(baseline["detections"], optimized["detections"])
    return f1_parity(f1, parts, PARITY_THRESHOLD,
                     f"F1 {f1:.3f}: {parts['matched']} matched of {parts['reference']} baseline / {parts['candidate']} optimized detections")
