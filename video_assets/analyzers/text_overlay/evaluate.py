"""text_overlay against the sample corpus' ground truth: recall, precision, CER, per pattern."""

from __future__ import annotations

import numpy as np
import pandas as pd

from video_assets.analyzers.text_overlay.parity import _match, caption_f1, match_pairs, time_iou
from video_assets.analyzers.text_overlay.segments import SCENE, captions_only
from video_assets.analyzers.text_overlay.text import cer, normalize


def accuracy(segments: pd.DataFrame, truth_captions: list[dict], max_cer: float = 0.1) -> dict[str, float]:
    """Against ground truth captions: recall, precision, mean CER of the matched ones."""
    truth = pd.DataFrame([{"text": c["text"], "start_s": c["start"], "end_s": c["end"]} for c in truth_captions])
    f1, parts = caption_f1(truth, segments, max_cer)
    return {"recall": parts["recall"], "precision": parts["precision"], "mean_cer": parts["mean_cer"], "f1": round(f1, 4)}


def accuracy_by_pattern(segments: pd.DataFrame, truth_captions: list[dict], max_cer: float = 0.1) -> dict[str, dict[str, float]]:
    """Recall per hard pattern (``video_assets.sample.clips.HARD_PATTERNS``): of the captions showing a
    pattern, how many a segment matches (text within max_cer, overlapping time), and their CER."""
    out: dict[str, dict[str, float]] = {}
    patterns = sorted({p for c in truth_captions for p in c.get("patterns", ())})
    for pattern in patterns:
        captions = [c for c in truth_captions if pattern in c.get("patterns", ())]
        truth = [(c["text"], c["start"], c["end"]) for c in captions]
        found = [(r.text, r.start_s, r.end_s) for r in captions_only(segments).itertuples()]
        matched, errors = _match(truth, found, max_cer)
        out[pattern] = {"captions": len(captions), "recall": round(matched / len(captions), 4),
                        "mean_cer": round(float(np.mean(errors)), 4) if errors else None}
    return out


def scene_text(segments: pd.DataFrame, truth: dict) -> dict[str, float] | None:
    """Against the text printed in a clip's photos (``scenes[].text``): caption segments whose text
    contains a scene word (must be 0: captions never carry scene text) and the scene words found
    among ``scene`` segments (a word read within CER 0.2). None for a clip without scene text."""
    words = {normalize(w) for s in truth.get("scenes", []) for w in s.get("text", [])}
    if not words:
        return None
    leaks = [t for t in captions_only(segments).text if any(w in normalize(t) for w in words)]
    scene = segments[segments["kind"] == SCENE].text if "kind" in segments else []
    found = {w for w in words if any(cer(w, part) <= 0.2 for t in scene for part in normalize(t).split())}
    return {"scene_text_in_captions": len(leaks), "scene_words_found": len(found), "scene_words": len(words)}


# A segment's start and end are on time when within this of the truth's (seconds).
ON_TIME_S = 0.1


def line_accuracy(lines: pd.DataFrame | None, truth_lines: list[dict], segments: pd.DataFrame, truth_captions: list[dict],
                  max_cer: float = 0.1) -> dict[str, float]:
    """For clips with auto-caption chunks (captions that belong to a ``line``): the share of matched
    chunks whose start and end are both within ``ON_TIME_S`` of the truth, the chunks whose only
    overlapping reading was labelled scene (must be 0), and the true lines matched by a line (text
    within max_cer, time IoU >= 0.5, one to one). Empty for other clips."""
    chunks = [c for c in truth_captions if c.get("line")]
    if not chunks:
        return {}
    caps = captions_only(segments)
    found = [(r.text, r.start_s, r.end_s) for r in caps.itertuples()]
    pairs = match_pairs([(c["text"], c["start"], c["end"]) for c in chunks], found, max_cer)
    on_time = sum(abs(found[j][1] - chunks[i]["start"]) <= ON_TIME_S and abs(found[j][2] - chunks[i]["end"]) <= ON_TIME_S for i, j, _ in pairs)
    scene = segments[segments["kind"] == SCENE]
    as_scene = sum(1 for c in chunks if any(cer(c["text"], r.text) <= max_cer and time_iou((c["start"], c["end"]), (r.start_s, r.end_s)) > 0
                                            for r in scene.itertuples()))
    out = {"chunks": len(chunks), "chunks_on_time": round(on_time / len(chunks), 4), "chunks_as_scene": as_scene}
    if truth_lines:
        got = [] if lines is None else [(r.text, r.start_s, r.end_s) for r in lines.itertuples()]
        matched = match_pairs([(ln["text"], ln["start"], ln["end"]) for ln in truth_lines], got, max_cer)
        out["line_recall"] = round(len(matched) / len(truth_lines), 4)
        out["line_precision"] = round(len(matched) / len(got), 4) if got else 0.0
    return out


def _letters(text: str) -> str:
    return "".join(ch for ch in normalize(text) if ch.isalnum())


def _inside(part: str, whole: str, max_cer: float) -> bool:
    """``part`` reads as a stretch of ``whole``'s words (a line of a two-line caption, a chunk's
    words in a mixed reading): its letters within max_cer of some run of consecutive words."""
    words, n = normalize(whole).split(), len(normalize(part).split())
    return any(cer(" ".join(words[i:i + k]), part) <= max_cer for k in range(max(1, n - 1), n + 2) for i in range(len(words) - k + 1))


def failures(segments: pd.DataFrame, truth_captions: list[dict], scene_words: list[str] = (), max_cer: float = 0.1) -> list[dict]:
    """Why the strict match (``caption_f1``) failed, caption by caption: each true caption no
    segment matches, and each caption segment that matches none, with its kind of failure.

    Missed captions: ``as_scene`` (read, but labelled scene), ``split_lines`` (its lines read as
    separate segments), ``late_start`` / ``time`` (read, but the segment starts more than a quarter
    of the window late, or its time IoU is under 0.5 otherwise), ``lost_spaces`` (the letters right,
    words run together), ``mixed`` (read together with a neighbour's words), ``misread``, ``missed``.
    Extra segments: ``scene_text`` (a word printed on the picture), ``lone_glyph`` (one or two
    characters that are no caption's), ``part`` (a stretch of a caption: a split line or a late
    piece), ``mixed``, ``other``."""
    caps = captions_only(segments)
    found = [(r.text, float(r.start_s), float(r.end_s)) for r in caps.itertuples()]
    truth = [(c["text"], float(c["start"]), float(c["end"])) for c in truth_captions]
    pairs = match_pairs(truth, found, max_cer)
    hit_t, hit_f = {i for i, _, _ in pairs}, {j for _, j, _ in pairs}
    out: list[dict] = []
    scene = segments[segments["kind"] == SCENE] if "kind" in segments else segments.iloc[:0]
    for i, (text, start, end) in enumerate(truth):
        if i in hit_t:
            continue
        near = [f for f in found if time_iou((start, end), f[1:]) > 0]
        same = [f for f in near if cer(text, f[0]) <= max_cer]
        if any(cer(text, r.text) <= max_cer and time_iou((start, end), (r.start_s, r.end_s)) > 0 for r in scene.itertuples()):
            kind = "as_scene"
        elif same:
            kind = "late_start" if min(f[1] for f in same) - start > 0.25 * (end - start) else "time"
        elif any(_letters(text) == _letters(f[0]) for f in near):
            kind = "lost_spaces"
        elif len([f for f in near if _inside(f[0], text, max_cer)]) >= 2:
            kind = "split_lines"
        elif any(len(normalize(f[0]).split()) > len(normalize(text).split()) and _inside(text, f[0], max_cer) for f in near):
            kind = "mixed"
        else:
            kind = "misread" if near else "missed"
        out.append({"side": "missed", "kind": kind, "text": text, "start": start, "end": end,
                    "read": [f"{f[0]} ({f[1]:.2f}-{f[2]:.2f})" for f in near]})
    words = [normalize(w) for w in scene_words]
    for j, (text, start, end) in enumerate(found):
        if j in hit_f:
            continue
        near = [t for t in truth if time_iou((t[1], t[2]), (start, end)) > 0]
        if any(cer(w, part) <= 1 / 3 for w in words for part in normalize(text).split()):  # YALAHA: the brand, misread
            kind = "scene_text"
        elif len(_letters(text)) <= 2 and not any(_letters(text) == _letters(t[0]) for t in near):
            kind = "lone_glyph"
        elif any(_inside(text, t[0], max_cer) for t in near) or any(cer(t[0], text) <= max_cer for t in near):
            kind = "part"
        elif len(near) >= 2:
            kind = "mixed"
        else:
            kind = "other"
        out.append({"side": "extra", "kind": kind, "text": text, "start": start, "end": end})
    return out
