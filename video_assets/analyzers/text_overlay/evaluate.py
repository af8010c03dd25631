"""text_overlay against the sample corpus' ground truth: recall, precision, CER, per pattern."""

from __future__ import annotations

import numpy as np
import pandas as pd

from video_assets.analyzers.text_overlay.parity import _match, caption_f1
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
