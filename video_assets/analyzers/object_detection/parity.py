"""object_detection parity: class-matched detection F1 of optimized against baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd

from video_assets.analyzers.base import ParityReport, f1_parity, matching_f1


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
    return matching_f1(matched, len(reference), len(candidate), frames=len(frames))


PARITY_THRESHOLD = 0.95


def parity(baseline: dict[str, pd.DataFrame], optimized: dict[str, pd.DataFrame]) -> ParityReport:
    """Class-matched detection F1 at IoU >= 0.5 of optimized against baseline."""
    f1, parts = detection_f1(baseline["detections"], optimized["detections"])
    return f1_parity(f1, parts, PARITY_THRESHOLD,
                     f"F1 {f1:.3f}: {parts['matched']} matched of {parts['reference']} baseline / {parts['candidate']} optimized detections")
