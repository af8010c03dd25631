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
