"""text_overlay parity: caption F1 of the optimized segments against the baseline's."""

from __future__ import annotations

import numpy as np
import pandas as pd

from video_assets.analyzers.base import ParityReport, f1_parity, matching_f1
from video_assets.analyzers.text_overlay.text import cer


# -- parity and accuracy -------------------------------------------------------------------------
def _match(reference: list[tuple[str, float, float]], candidate: list[tuple[str, float, float]], max_cer: float) -> tuple[int, list[float]]:
    used: set[int] = set()
    matched, errors = 0, []
    for text, start, end in reference:
        best, best_cer = None, None
        for j, (ctext, cstart, cend) in enumerate(candidate):
            if j in used or min(end, cend) <= max(start, cstart):
                continue
            c = cer(text, ctext)
            if c <= max_cer and (best_cer is None or c < best_cer):
                best, best_cer = j, c
        if best is not None:
            used.add(best)
            matched += 1
            errors.append(best_cer)
    return matched, errors


def caption_f1(reference: pd.DataFrame, candidate: pd.DataFrame, max_cer: float = 0.1) -> tuple[float, dict[str, float]]:
    """Caption-text F1: a segment matches when its text is within max_cer and its time overlaps."""
    ref = [(r.text, r.start_s, r.end_s) for r in reference.itertuples()]
    cand = [(r.text, r.start_s, r.end_s) for r in candidate.itertuples()]
    matched, errors = _match(ref, cand, max_cer)
    return matching_f1(matched, len(ref), len(cand), mean_cer=round(float(np.mean(errors)), 4) if errors else 0.0)


PARITY_THRESHOLD = 0.95


def parity(baseline: dict[str, pd.DataFrame], optimized: dict[str, pd.DataFrame]) -> ParityReport:
    """Caption-text F1 of optimized against baseline segments (CER <= 0.1, overlapping time)."""
    f1, parts = caption_f1(baseline["segments"], optimized["segments"])
    return f1_parity(f1, parts, PARITY_THRESHOLD,
                     f"{parts['matched']} of {parts['reference']} baseline captions matched by {parts['candidate']} optimized")
