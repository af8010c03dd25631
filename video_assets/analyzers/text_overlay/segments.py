"""Per-sample readings into segments: one segment per caption, scene text kept apart.

A reading continues an open segment only when it is the *same caption*: in the same place (the
boxes overlap) and with the same text, where OCR noise is tolerated on letters (CER <= max_cer) but
not on numbers (the digit groups must be equal: ``step 1`` and ``step 2``, ``7:45`` and ``7:46``,
``$19.99`` and ``$18.99`` are different captions) nor on whole words (a word more or less is a new
caption unless only a space moved). A caption that changes in place therefore starts a new segment
at the sample where it changed. A gap of up to two missed samples is bridged.

A reading in the place of an open segment with another text closes it: the caption was replaced
(auto-captions replace a chunk every 0.3-0.8 s). Every sample is reported, read or not
(``follow.py``), so a segment starts half-way between the last sample without it and the first
with it, and ends half-way between its last sample and the next: within half a fine step.

Each segment is then told apart as ``caption`` or ``scene`` (text that belongs to the picture: a
brand on a product, a street sign, a shape the OCR takes for a glyph) by what it is, not by how
long it stays. Burned-in captions stand still on the frame and are drawn to be read; scene text
moves with the picture (pans, zooms, handheld shake) and has the picture's contrast. So a segment
is ``scene`` when its box moved between its readings by more than half its own height or 2 % of
the frame height (whichever is less), when its median contrast (luma range in the box) is under
half the range, when its box is more than a third of the frame tall, or when it was seen on one
read once and shown on fewer than three fine samples (under 0.3 s, shorter than any caption meant
to be read) without replacing or being replaced by a caption in its place. Chunks that replace each other in one place are captions.
Text read, lost and read again nearby with nearly the same letters is one printed thing: when its
box grew, shrank or moved from one such segment to another, the picture carried it, and every one
of them is ``scene`` (``_moving_recurrences``: the brand on a zooming photo is read on a sample or
two at a time, so no single segment shows the motion).
Measured on the sample corpus (docs/captions.md): captions have a contrast of 254-255, the brand on the
motorcycle 161; a coffee cup read as ``8`` spanned half the frame's height. On the real-recordings
corpus (docs/real-recordings.md, "Captions"): the brand under a 1x-3x zoom, four segments over 4-12 s,
its box 0.032 to 0.048 of the frame high.

Consecutive chunks in one place (``join_lines``) are also given as lines: what a person reads.
"""

from __future__ import annotations

import bisect
import itertools
import re

import numpy as np
import pandas as pd

from video_assets.analyzers.base import typed_table
from video_assets.analyzers.text_overlay.blocks import MAX_TEXT_HEIGHT
from video_assets.analyzers.text_overlay.recurrence import (MOTION_FRAME, MOTION_HEIGHTS, centre as _centre, moving_recurrences,
                                                          segment_text as _text)
from video_assets.analyzers.text_overlay.schemas import LINES_SCHEMA, SEGMENTS_SCHEMA
from video_assets.analyzers.text_overlay.text import cer, nfc, normalize

CAPTION, SCENE = "caption", "scene"
# Captions are drawn to be read: a luma range under this (0-255) is the picture's own text.
MIN_CONTRAST = 128.0
# No block of burned-in text is a third of the frame tall: a box that tall is a shape in the
# picture the OCR took for a glyph (a coffee cup read as "8").
MAX_HEIGHT = MAX_TEXT_HEIGHT
# Boxes are the same place when their intersection covers this share of the smaller one.
PLACE_OVERLAP = 0.3
# Read once and on screen for fewer samples than this (0.3 s at the fine step: the shortest chunk
# meant to be read), with no caption replacing it in its place: a glimpse of the picture's text.
MIN_SAMPLES = 3
# Two segments in one place this close in time replace each other (seconds).
REPLACE_S = 0.2
# A misreading in a caption's middle: its letters within this CER of the caption's (``_mend``).
GLITCH_CER = 0.25
# Chunks joined into a line: at most CHUNK_WORDS words shown at most CHUNK_S each, in one place,
# each starting within LINE_GAP_S of the previous one's end.
CHUNK_WORDS, CHUNK_S, LINE_GAP_S = 3, 1.2, 0.25


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
    # Words as runs of letters and digits: a hyphen read for a space (``war-nur``) is OCR noise too.
    if len(re.findall(r"\w+", na)) != len(re.findall(r"\w+", nb)) and na.replace(" ", "") != nb.replace(" ", ""):
        return False
    return cer(na, nb) <= max_cer


def _contrast(row) -> float:
    value = getattr(row, "contrast", None)  # a reading without a measured contrast is no evidence of low contrast
    return 255.0 if value is None or value != value else float(value)


def _kind(seg: dict, aspect: float, replaced: bool) -> str:
    """``scene`` when the box moved with the picture, has the picture's contrast, is too tall, or
    was seen on one sample without replacing a caption in its place; else ``caption``. Motion is
    in frame heights, both axes alike (``aspect`` = width / height), between readings."""
    if sorted(seg["contrast"])[len(seg["contrast"]) // 2] < MIN_CONTRAST or seg["box"][3] - seg["box"][1] > MAX_HEIGHT:
        return SCENE
    if seg["n"] < MIN_SAMPLES and seg["reads"] < 2 and not replaced:
        return SCENE
    (fx, fy), height = _centre(seg["first"]), seg["first"][3] - seg["first"][1]
    moved = max(((cx - fx) * aspect) ** 2 + (cy - fy) ** 2 for cx, cy in seg["centres"]) ** 0.5
    return SCENE if moved > min(MOTION_HEIGHTS * height, MOTION_FRAME) else CAPTION


def _replaces(a: dict, b: dict, interval: float) -> bool:
    """One segment follows the other in the same place (a chunk replaced by the next): from the
    last sample of one to the first of the other, at most REPLACE_S or one and a half steps."""
    gap = max(b["start"] - a["last"], a["start"] - b["last"])
    return a is not b and same_place(a["box"], b["box"]) and gap <= max(REPLACE_S, 1.5 * interval)


def _edge(t: float, side: int, times: list[float] | None, interval: float) -> float:
    """Half-way from sample ``t`` to its neighbour before (side -1) or after (+1): where a caption
    seen first or last at ``t`` came or went. At the video's ends, half the usual step."""
    if times:
        i = bisect.bisect_left(times, t - 1e-3)
        j = i + side
        if 0 <= j < len(times):
            return (t + times[j]) / 2
    return max(0.0, t + side * interval / 2)


def _mend(segments: list[dict], interval: float, max_cer: float) -> list[dict]:
    """A caption misread on one or two readings in its middle (``Tip 4 of A`` between two
    ``Tip 4 of 4``: a changed digit group starts a new segment) is one caption: a short segment
    whose letters are within ``GLITCH_CER`` of the same caption just before and just after it, in
    its place, is folded into one segment with them."""
    gap = max(REPLACE_S, 1.5 * interval)
    segments = list(segments)
    mended = True
    while mended:
        mended = False
        for b in segments:
            if b["reads"] > 2:
                continue
            near = [s for s in segments if s is not b and same_place(s["box"], b["box"])]
            a = max((s for s in near if 0 <= b["start"] - s["last"] <= gap), key=lambda s: s["last"], default=None)
            c = min((s for s in near if 0 <= s["start"] - b["last"] <= gap), key=lambda s: s["start"], default=None)
            if a is None or c is None or a is c:
                continue
            ta = _text(a["texts"])
            if not (same_text(ta, _text(c["texts"]), max_cer) and cer(ta, _text(b["texts"])) <= GLITCH_CER):
                continue
            a["last"] = c["last"]
            a["n"] += b["n"] + c["n"]
            a["reads"] += b["reads"] + c["reads"]
            for t, k in c["texts"].items():
                a["texts"][t] = a["texts"].get(t, 0) + k
            a["box"] = (min(a["box"][0], c["box"][0]), min(a["box"][1], c["box"][1]), max(a["box"][2], c["box"][2]), max(a["box"][3], c["box"][3]))
            a["centres"] += b["centres"] + c["centres"]
            a["contrast"] += b["contrast"] + c["contrast"]
            a["conf"] = max(a["conf"], c["conf"])
            segments = [s for s in segments if s is not b and s is not c]
            mended = True
            break
    return segments


def merge_segments(detections: pd.DataFrame, interval: float, max_cer: float, aspect: float = 1080 / 1920,
                   times: list[float] | None = None) -> pd.DataFrame:
    """Readings (``detections``: fractions of the frame, a row per sample showing text) -> segments,
    one per caption, each with its ``kind``. ``times``: every sample's time, read or not (then
    ``interval`` is their usual step); without them samples are taken every ``interval`` s. A
    segment starts half-way between the sample before its first and its first, and ends half-way
    between its last and the next. ``aspect`` = width / height, so motion is measured in pixels
    alike on both axes. Readings without a letter or digit stay in the detections table but make no
    segment."""
    if times:
        steps = np.diff(times)
        interval = float(np.median(steps)) if len(steps) else interval
    open_segments: list[dict] = []
    done: list[dict] = []
    captions = detections[detections.text.map(is_caption)] if len(detections) else detections
    ordered = captions.sort_values(["timestamp_s", "y0", "x0"]).itertuples(index=False) if len(captions) else ()
    for t, group in itertools.groupby(ordered, key=lambda row: row.timestamp_s):
        still_open = []
        for seg in open_segments:
            (done if t - seg["last"] > 2.5 * interval else still_open).append(seg)
        open_segments = still_open
        fresh = []
        for row in group:
            box = (row.x0, row.y0, row.x1, row.y1)
            match = next((s for s in open_segments if s["last"] < t and same_place(s["box"], box)
                          and same_text(s["text"], row.text, max_cer)), None)
            if match is None:
                fresh.append(box)
                open_segments.append({
                    "text": row.text, "start": t, "last": t, "box": box, "first": box, "centres": [_centre(box)],
                    "conf": row.confidence, "n": 1, "reads": int(not row.reused), "texts": {row.text: 1}, "contrast": [_contrast(row)],
                })
            else:
                match["last"] = t
                match["n"] += 1
                match["reads"] += not row.reused
                match["texts"][row.text] = match["texts"].get(row.text, 0) + 1
                match["box"] = (min(match["box"][0], box[0]), min(match["box"][1], box[1]),
                                max(match["box"][2], box[2]), max(match["box"][3], box[3]))
                if not row.reused:  # a reused row repeats the reading's box: no evidence of motion
                    match["centres"].append(_centre(box))
                match["contrast"].append(_contrast(row))
                match["conf"] = max(match["conf"], row.confidence)
        # A new text in the place of an open segment replaced it.
        replaced = [s for s in open_segments if s["last"] < t and any(same_place(s["box"], b) for b in fresh)]
        done.extend(replaced)
        open_segments = [s for s in open_segments if not any(s is r for r in replaced)]
    done.extend(open_segments)
    done = _mend(done, interval, max_cer)
    carried = moving_recurrences(done, aspect)
    rows = [
        {
            "text": _text(s["texts"]),
            "start_s": round(_edge(s["start"], -1, times, interval), 3), "end_s": round(_edge(s["last"], 1, times, interval), 3),
            "x0": s["box"][0], "y0": s["box"][1], "x1": s["box"][2], "y1": s["box"][3], "max_confidence": s["conf"],
            "samples": s["n"], "kind": SCENE if id(s) in carried else _kind(s, aspect, any(_replaces(s, o, interval) for o in done)),
        }
        for s in sorted(done, key=lambda s: (s["start"], s["box"][1]))
    ]
    return typed_table(rows, SEGMENTS_SCHEMA)


def captions_only(segments: pd.DataFrame) -> pd.DataFrame:
    """The caption segments (what accuracy and parity judge); scene text is reported apart."""
    return segments[segments["kind"] == CAPTION] if "kind" in segments else segments


def _one_band(a, b) -> bool:
    """Two boxes on one caption line: vertical centres within half a line height of each other."""
    return abs((a.y0 + a.y1) / 2 - (b.y0 + b.y1) / 2) < 0.5 * max(a.y1 - a.y0, b.y1 - b.y0)


def _chunk(seg) -> bool:
    return len(seg.text.split()) <= CHUNK_WORDS and seg.end_s - seg.start_s <= CHUNK_S


def join_lines(segments: pd.DataFrame) -> pd.DataFrame:
    """Caption segments -> lines: consecutive chunks in one place, each following the previous
    within ``LINE_GAP_S``, joined in order (``nobody tells you how lonely it feels``); any other
    caption is a line of its own. The segments keep the chunks with their own times."""
    lines: list[list] = []
    for seg in captions_only(segments).sort_values(["start_s", "y0"]).itertuples():
        line = next((ln for ln in reversed(lines) if _chunk(ln[-1]) and _chunk(seg) and _one_band(ln[-1], seg)
                     and -LINE_GAP_S / 2 <= seg.start_s - ln[-1].end_s <= LINE_GAP_S), None)
        if line is None:
            lines.append([seg])
        else:
            line.append(seg)
    rows = [{"text": " ".join(s.text for s in ln), "start_s": ln[0].start_s, "end_s": ln[-1].end_s, "chunks": len(ln),
             "x0": min(s.x0 for s in ln), "y0": min(s.y0 for s in ln), "x1": max(s.x1 for s in ln), "y1": max(s.y1 for s in ln)}
            for ln in sorted(lines, key=lambda ln: (ln[0].start_s, ln[0].y0))]
    return typed_table(rows, LINES_SCHEMA)
