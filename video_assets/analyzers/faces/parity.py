"""faces parity and accuracy: box F1 between presets, presence against the ground truth."""

from __future__ import annotations

import numpy as np
import pandas as pd

from video_assets.analyzers.base import ParityReport, greedy_box_matches, matching_f1
from video_assets.analyzers.faces.core import summary

PARITY_THRESHOLD = 0.9


def face_f1(reference: pd.DataFrame, candidate: pd.DataFrame, iou_min: float = 0.5) -> tuple[float, dict[str, float]]:
    """F1 of face boxes matched frame by frame at IoU >= ``iou_min`` (greedy by IoU)."""
    matched = 0
    ref_by = dict(tuple(reference.groupby("frame_index")))
    cand_by = dict(tuple(candidate.groupby("frame_index")))
    for key in set(ref_by) & set(cand_by):
        matched += greedy_box_matches(ref_by[key][["x0", "y0", "x1", "y1"]].to_numpy(np.float64),
                                      cand_by[key][["x0", "y0", "x1", "y1"]].to_numpy(np.float64), iou_min)
    return matching_f1(matched, len(reference), len(candidate))


def presence_at(samples: pd.DataFrame, times) -> np.ndarray:
    """Whether a face is on screen at each of ``times`` by a samples table read as a person reads
    it: a sample stands for the time up to the next one (before the first: its value)."""
    if not len(samples):
        return np.zeros(len(times), dtype=bool)
    t = samples.timestamp_s.to_numpy()
    idx = np.clip(np.searchsorted(t, np.asarray(times, dtype=np.float64) + 1e-6, side="right") - 1, 0, len(t) - 1)
    return samples.faces.to_numpy()[idx] > 0


def parity(baseline: dict[str, pd.DataFrame], optimized: dict[str, pd.DataFrame]) -> ParityReport:
    """What the optimized preset loses against the baseline: at every baseline sample, does the
    optimized table (fewer frames, unchanged frames carried over) say a face is on screen when the
    baseline does, and not when it does not. Score: the share of baseline samples it agrees on;
    the boxes of the frames both looked at are compared too (F1 at IoU >= 0.5, in the parts)."""
    base, opt = baseline["samples"], optimized["samples"]
    said_base = base.faces.to_numpy() > 0
    said_opt = presence_at(opt, base.timestamp_s.to_numpy())
    agreement = float((said_base == said_opt).mean()) if len(base) else 1.0
    shared = set(base.frame_index) & set(opt[~opt.reused].frame_index) if len(opt) else set()
    f1, parts = face_f1(baseline["faces"][baseline["faces"].frame_index.isin(shared)],
                        optimized["faces"][optimized["faces"].frame_index.isin(shared)])
    parts = {"presence_agreement": round(agreement, 4), "box_f1_shared_frames": round(f1, 4), "shared_frames": len(shared),
             "face_share_baseline": summary(base)["face_share"], "face_share_optimized": summary(opt)["face_share"]}
    return ParityReport(score=round(agreement, 4), parts=parts, passed=agreement >= PARITY_THRESHOLD,
                        detail=f"face presence agrees on {100 * agreement:.0f} % of {len(base)} baseline samples; box F1 {f1:.3f} on {len(shared)} shared frames")


def faces_at(truth: dict, t: float) -> int:
    """How many faces the ground truth shows at ``t`` (its ``faces`` spans)."""
    return next((span["count"] for span in truth.get("faces", []) if span["start"] <= t < span["end"]), 0)


def presence_accuracy(samples: pd.DataFrame, truth: dict, seconds: float) -> dict[str, float]:
    """Per-sample face presence against the truth: precision and recall of "a face is on screen",
    and the face share of time against the truth's (samples are evenly spaced, so a sample's
    share is a share of time)."""
    rows = samples[samples.timestamp_s < seconds]
    said = rows.faces.to_numpy() > 0
    true = np.array([faces_at(truth, t) > 0 for t in rows.timestamp_s], dtype=bool)
    tp = int((said & true).sum())
    precision = tp / said.sum() if said.sum() else (1.0 if not true.any() else 0.0)
    recall = tp / true.sum() if true.sum() else 1.0
    spans = [(s["start"], min(s["end"], seconds)) for s in truth.get("faces", []) if s["count"] > 0 and s["start"] < seconds]
    truth_share = sum(b - a for a, b in spans) / seconds if seconds else 0.0
    share = float(said.mean()) if len(said) else 0.0
    return {"presence_precision": round(precision, 4), "presence_recall": round(recall, 4),
            "face_share": round(share, 4), "face_share_truth": round(truth_share, 4),
            "face_share_error": round(abs(share - truth_share), 4)}
