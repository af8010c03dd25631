"""Per-sample readings into segments: one segment per caption, scene text kept apart.

A reading continues an open segment only when it is the *same caption*: in the same place (the
boxes overlap) and with the same text, where OCR noise is tolerated on letters (CER <= max_cer) but
not on numbers (the digit groups must be equal: ``step 1`` and ``step 2``, ``7:45`` and ``7:46``,
``$19.99`` and ``$18.99`` are different captions) nor on whole words (a word more or less is a new
caption unless only a space moved). A caption that changes in place therefore starts a new segment
at the sample where it changed. A gap of up to two missed samples is bridged.

Each segment is then told apart as ``caption`` or ``scene`` (text that belongs to the picture: a
brand on a product, a street sign, a shape the OCR takes for a glyph). Burned-in captions stand
still on the frame, stay on screen for a second or more and are drawn to be read; scene text moves
with the picture (pans, zooms, handheld shake), is often read on single samples only (its angle
and blur change) and has the picture's contrast. So a segment is ``scene`` when its box moved
between its samples by more than half its own height or 2 % of the frame height (whichever is
less), when it was read on one sample only, when its median contrast (luma range in the box) is
under half the range, or when its box is more than a third of the frame tall. Measured on the sample corpus (README): captions have a contrast of 254-255,
the brand on the motorcycle 161 (read on one sample); a coffee cup read as ``8`` spanned half the
frame's height.
"""

from __future__ import annotations

import re

import pandas as pd

from video_assets.analyzers.base import typed_table
from video_assets.analyzers.text_overlay.schemas import SEGMENTS_SCHEMA
from video_assets.analyzers.text_overlay.text import cer, nfc, normalize

CAPTION, SCENE = "caption", "scene"
# A box that moved more than this many of its own heights, or this share of the frame height,
# between its samples moves with the picture.
MOTION_HEIGHTS = 0.5
MOTION_FRAME = 0.02
# Captions are drawn to be read: a luma range under this (0-255) is the picture's own text.
MIN_CONTRAST = 128.0
# No block of burned-in text is a third of the frame tall: a box that tall is a shape in the
# picture the OCR took for a glyph (a coffee cup read as "8").
MAX_HEIGHT = 1 / 3
# Boxes are the same place when their intersection covers this share of the smaller one.
PLACE_OVERLAP = 0.3


def is_caption(text: str) -> bool:
    """A reading with no letter or digit (".)", "--") is OCR noise on texture, not a caption."""
    return any(ch.isalnum() for ch in text)


def same_place(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    ix = min(a[2], b[2]) - max(a[0], b[0])
    iy = min(a[3], b[3]) - max(a[1], b[1])
    if ix <= 0 or iy <= 0:
        return False
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return smaller > 0 and ix * iy >= PLACE_OVERLAP * smaller


def same_text(a: str, b: str, max_cer: float) -> bool:
    """The same caption text: numbers equal, the same words (a split or merged word is OCR noise,
    a word more or less is not), letters within max_cer."""
    na, nb = normalize(nfc(a)), normalize(nfc(b))
    if re.findall(r"\d+", na) != re.findall(r"\d+", nb):
        return False
    if len(na.split()) != len(nb.split()) and na.replace(" ", "") != nb.replace(" ", ""):
        return False
    return cer(na, nb) <= max_cer


def _centre(box: tuple[float, float, float, float]) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def _contrast(row) -> float:
    value = getattr(row, "contrast", None)  # a reading without a measured contrast is no evidence of low contrast
    return 255.0 if value is None or value != value else float(value)


def _kind(seg: dict, aspect: float) -> str:
    """``scene`` when the box moved with the picture, was read once or has the picture's contrast;
    else ``caption``. Motion is in frame heights, both axes alike (``aspect`` = width / height)."""
    if seg["n"] < 2 or sorted(seg["contrast"])[len(seg["contrast"]) // 2] < MIN_CONTRAST:
        return SCENE
    if seg["box"][3] - seg["box"][1] > MAX_HEIGHT:
        return SCENE
    (fx, fy), height = _centre(seg["first"]), seg["first"][3] - seg["first"][1]
    moved = max(((cx - fx) * aspect) ** 2 + (cy - fy) ** 2 for cx, cy in seg["centres"]) ** 0.5
    return SCENE if moved > min(MOTION_HEIGHTS * height, MOTION_FRAME) else CAPTION


def merge_segments(detections: pd.DataFrame, interval: float, max_cer: float, aspect: float = 1080 / 1920) -> pd.DataFrame:
    """Readings (``detections``: fractions of the frame) -> segments, one per caption, each with
    its ``kind``. ``aspect`` = width / height, so motion is measured in pixels alike on both axes.
    Readings without a letter or digit stay in the detections table but make no segment."""
    open_segments: list[dict] = []
    done: list[dict] = []
    captions = detections[detections.text.map(is_caption)] if len(detections) else detections
    for t, group in captions.sort_values(["timestamp_s", "y0", "x0"]).groupby("timestamp_s", sort=True):
        still_open = []
        for seg in open_segments:
            (done if t - seg["last"] > 2.5 * interval else still_open).append(seg)
        open_segments = still_open
        for row in group.itertuples():
            box = (row.x0, row.y0, row.x1, row.y1)
            match = next((s for s in open_segments if s["last"] < t and same_place(s["box"], box)
                          and same_text(s["text"], row.text, max_cer)), None)
            if match is None:
                open_segments.append({
                    "text": row.text, "start": t, "last": t, "box": box, "first": box, "centres": [_centre(box)],
                    "conf": row.confidence, "n": 1, "texts": {row.text: 1}, "contrast": [_contrast(row)],
                })
            else:
                match["last"] = t
                match["n"] += 1
                match["texts"][row.text] = match["texts"].get(row.text, 0) + 1
                match["box"] = (min(match["box"][0], box[0]), min(match["box"][1], box[1]),
                                max(match["box"][2], box[2]), max(match["box"][3], box[3]))
                match["centres"].append(_centre(box))
                match["contrast"].append(_contrast(row))
                match["conf"] = max(match["conf"], row.confidence)
    done.extend(open_segments)
    rows = [
        {
            "text": max(s["texts"].items(), key=lambda kv: kv[1])[0],  # the reading seen most often
            "start_s": round(s["start"], 3), "end_s": round(s["last"] + interval, 3),
            "x0": s["box"][0], "y0": s["box"][1], "x1": s["box"][2], "y1": s["box"][3], "max_confidence": s["conf"],
            "samples": s["n"], "kind": _kind(s, aspect),
        }
        for s in sorted(done, key=lambda s: (s["start"], s["box"][1]))
    ]
    return typed_table(rows, SEGMENTS_SCHEMA)


def captions_only(segments: pd.DataFrame) -> pd.DataFrame:
    """The caption segments (what accuracy and parity judge); scene text is reported apart."""
    return segments[segments["kind"] == CAPTION] if "kind" in segments else segments
