"""Per-sample readings into caption segments."""

from __future__ import annotations

import pandas as pd

from video_assets.analyzers.base import typed_table
from video_assets.analyzers.text_overlay.schemas import SEGMENTS_SCHEMA
from video_assets.analyzers.text_overlay.text import cer


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
