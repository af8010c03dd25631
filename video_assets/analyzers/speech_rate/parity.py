"""speech_rate parity: the optimized summary against the baseline's."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from video_assets.analyzers.base import ParityReport


@dataclass(frozen=True)
class ParityThresholds:
    max_rel_error: float = 0.03  # words per minute and word count
    max_pause_diff: int = 1


def parity(baseline: dict[str, pd.DataFrame], optimized: dict[str, pd.DataFrame], thresholds: ParityThresholds = ParityThresholds()) -> ParityReport:
    """Words per minute and word count within 3 %, pause count within 1."""
    b, o = baseline["summary"].iloc[0], optimized["summary"].iloc[0]

    def rel(x: float, y: float) -> float:
        if x == y:
            return 0.0
        return abs(x - y) / max(abs(x), abs(y), 1e-9)

    wpm_err = rel(float(b.speech_rate_wpm), float(o.speech_rate_wpm))
    words_err = rel(float(b.total_words), float(o.total_words))
    pause_diff = abs(int(b.pause_count) - int(o.pause_count))
    score = max(0.0, 1.0 - max(wpm_err, words_err))
    passed = wpm_err <= thresholds.max_rel_error and words_err <= thresholds.max_rel_error and pause_diff <= thresholds.max_pause_diff
    return ParityReport(
        score=round(score, 4),
        parts={"wpm_rel_error": round(wpm_err, 4), "word_count_rel_error": round(words_err, 4), "pause_count_diff": pause_diff},
        passed=passed,
        detail=f"wpm {b.speech_rate_wpm} vs {o.speech_rate_wpm}, words {b.total_words} vs {o.total_words}, pauses {b.pause_count} vs {o.pause_count}",
    )
