"""text_overlay parity: caption F1 of the optimized segments against the baseline's."""

from __future__ import annotations

import numpy as np
import pandas as pd

from video_assets.analyzers.base import ParityReport, f1_parity, matching_f1
from video_assets.analyzers.text_overlay.segments import captions_only
from video_assets.analyzers.text_overlay.text import cer

# A segment matches a caption only if it spans the caption's time window (time IoU) and reads it
# (CER), one segment for one caption: a segment stretched over several captions matches one at most.
MIN_TIME_IOU = 0.5


def time_iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    if inter <= 0:
        return 0.0
    return inter / (max(a[1], b[1]) - min(a[0], b[0]))


# -- parity and accuracy -------------------------------------------------------------------------
def _match(reference: list[tuple[str, float, float]], candidate: list[tuple[str, float, float]], max_cer: float,
           fold: bool = False) -> tuple[int, list[float]]:
    pairs = match_pairs(reference, candidate, max_cer, fold)
    return len(pairs), [c for _, _, c in pairs]


def match_pairs(reference: list[tuple[str, float, float]], candidate: list[tuple[str, float, float]], max_cer: float,
                fold: bool = False) -> list[tuple[int, int, float]]:
    """(reference index, candidate index, CER) of each match, one to one, in reference order."""
    used: set[int] = set()
    pairs = []
    for i, (text, start, end) in enumerate(reference):
        best, best_cer = None, None
        for j, (ctext, cstart, cend) in enumerate(candidate):
            if j in used or time_iou((start, end), (cstart, cend)) < MIN_TIME_IOU:
                continue
            c = cer(text, ctext, fold)
            if c <= max_cer and (best_cer is None or c < best_cer):
                best, best_cer = j, c
        if best is not None:
            used.add(best)
            pairs.append((i, best, best_cer))
    return pairs


def caption_f1(reference: pd.DataFrame, candidate: pd.DataFrame, max_cer: float = 0.1, fold: bool = False) -> tuple[float, dict[str, float]]:
    """Caption-text F1, strict: a segment matches a caption when its text is within max_cer and its
    time IoU with the caption is >= MIN_TIME_IOU, one to one; only ``caption`` segments take part.
    ``fold``: diacritics folded on both sides (parity against an English-only reader)."""
    ref = [(r.text, r.start_s, r.end_s) for r in captions_only(reference).itertuples()]
    cand = [(r.text, r.start_s, r.end_s) for r in captions_only(candidate).itertuples()]
    matched, errors = _match(ref, cand, max_cer, fold)
    return matching_f1(matched, len(ref), len(cand), mean_cer=round(float(np.mean(errors)), 4) if errors else 0.0)


PARITY_THRESHOLD = 0.95


# How parity treats letters: the baseline (EasyOCR, English model) cannot read umlauts or ß, so
# both sides are folded (ä = a, ß = ss) before the CER; the ground truth, unfolded, judges the letters.
LETTERS_NOTE = "diacritics folded on both sides (ä=a, ß=ss): the EasyOCR baseline reads English letters only; accuracy against the ground truth counts them"


def parity(baseline: dict[str, pd.DataFrame], optimized: dict[str, pd.DataFrame]) -> ParityReport:
    """Caption-text F1 of optimized against baseline caption segments (CER <= 0.1 with diacritics
    folded, time IoU >= 0.5, one to one)."""
    f1, parts = caption_f1(baseline["segments"], optimized["segments"], fold=True)
    return f1_parity(f1, parts | {"letters": LETTERS_NOTE}, PARITY_THRESHOLD,
                     f"{parts['matched']} of {parts['reference']} baseline captions matched by {parts['candidate']} optimized")
