"""From the model's probabilities to the events table, and the per-video shares.

The post-processing itself (``segments``: smoothing, a threshold per label, short gaps bridged,
blips dropped) lives in ``analyzers/sound_events.py``, shared with speech_rate, which tells sung
words from spoken ones with it. Labels are independent: music under speech is two overlapping
segments, which is what "speech over music" is measured from."""

from __future__ import annotations

import numpy as np
import pandas as pd

from video_assets.analyzers.sound_events import FRAME_S, LABELS, segments, union

__all__ = ["label_agreement", "rows", "segments", "shares", "spans_of", "table_shares"]


def rows(frame_ranges: dict[str, list[tuple[int, int]]], probs: np.ndarray) -> list[dict]:
    """Event rows in time order: label, times, and the mean and peak probability inside."""
    out = []
    for j, label in enumerate(LABELS):
        for a, b in frame_ranges.get(label, []):
            inside = probs[a:b, j] if b > a else np.zeros(1)
            out.append({"label": label, "start_s": round(a * FRAME_S, 3), "end_s": round(b * FRAME_S, 3),
                        "confidence": round(float(inside.mean()), 4), "peak": round(float(inside.max()), 4)})
    return sorted(out, key=lambda r: (r["start_s"], LABELS.index(r["label"])))


def _length(spans: list[tuple[float, float]]) -> float:
    return sum(b - a for a, b in union(spans))


def _overlap(x: list[tuple[float, float]], y: list[tuple[float, float]]) -> float:
    total = 0.0
    for a, b in union(x):
        for c, d in union(y):
            total += max(0.0, min(b, d) - max(a, c))
    return total


def spans_of(events: pd.DataFrame, label: str, until: float | None = None) -> list[tuple[float, float]]:
    got = events[events.label == label]
    return [(float(a), float(b if until is None else min(b, until))) for a, b in zip(got.start_s, got.end_s) if until is None or a < until]


def shares(spans: dict[str, list[tuple[float, float]]], duration_s: float) -> dict[str, float]:
    """Shares of the video's time (one home: metadata, profile, evaluation): music, speech,
    singing, and speech over music (speech and music at once)."""
    if duration_s <= 0:
        return {"music_share": 0.0, "speech_share": 0.0, "singing_share": 0.0, "speech_over_music_share": 0.0}
    return {
        "music_share": round(_length(spans.get("music", [])) / duration_s, 4),
        "speech_share": round(_length(spans.get("speech", [])) / duration_s, 4),
        "singing_share": round(_length(spans.get("singing", [])) / duration_s, 4),
        "speech_over_music_share": round(_overlap(spans.get("speech", []), spans.get("music", [])) / duration_s, 4),
    }


def table_shares(events: pd.DataFrame, duration_s: float) -> dict[str, float]:
    return shares({label: spans_of(events, label) for label in LABELS}, duration_s)


def label_agreement(a: pd.DataFrame, b: pd.DataFrame, collar_s: float = 0.0) -> dict[str, float]:
    """Per label, the time-IoU of two event tables (1.0 where neither has the label), on a 10 ms
    grid. ``collar_s``: time within this of a boundary of ``a`` is not scored (the "collar" of
    speech activity and diarization scoring, NIST's 0.25 s): where an event ends by a tenth of a
    second is a matter of the post-processing's hangover, not of what was heard."""
    out = {}
    for label in LABELS:
        x, y = spans_of(a, label), spans_of(b, label)
        end = max([e for _, e in x + y], default=0.0)
        n = int(np.ceil(end / FRAME_S)) + 1
        grid = (np.arange(n) + 0.5) * FRAME_S
        in_x = np.zeros(n, bool)
        in_y = np.zeros(n, bool)
        scored = np.ones(n, bool)
        for s0, s1 in x:
            in_x |= (grid >= s0) & (grid < s1)
            for edge in (s0, s1):
                scored &= np.abs(grid - edge) > collar_s
        for s0, s1 in y:
            in_y |= (grid >= s0) & (grid < s1)
        union = (in_x | in_y) & scored
        out[label] = round(float(((in_x & in_y) & scored).sum() / union.sum()), 4) if union.any() else 1.0
    return out
