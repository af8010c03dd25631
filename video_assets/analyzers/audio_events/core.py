"""audio_events for one video: speech, singing and music segments with their confidence."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pyarrow as pa

from video_assets.analyzers.audio_events import events
from video_assets.analyzers.audio_events.presets import Config
from video_assets.analyzers.base import AnalyzerResult, ParityReport, col, typed_table
from video_assets.analyzers.sound_events import FRAME_S, LABELS, EventModel
from video_assets.media.frames import AudioTrack

EVENTS_SCHEMA = pa.schema([
    col("label", pa.string(), "speech, singing or music (labels overlap: music under speech is two rows)"),
    col("start_s", pa.float64(), "start, seconds"),
    col("end_s", pa.float64(), "end, seconds"),
    col("confidence", pa.float32(), "mean probability of the label inside the segment"),
    col("peak", pa.float32(), "highest probability of the label inside the segment"),
])
TABLES = ("events",)
SCHEMAS = {"events": EVENTS_SCHEMA}


def run(audio: AudioTrack, config: Config, model: EventModel) -> AnalyzerResult:
    t0 = time.perf_counter()
    if not audio.has_audio or not len(audio.samples):
        table = typed_table([], EVENTS_SCHEMA)
        return AnalyzerResult(tables={"events": table}, stats=events.table_shares(table, 0.0) | {"model_s": 0.0},
                              notes=["no audio"])
    samples = np.ascontiguousarray(audio.samples, dtype=np.float32)
    probs = model.probs(samples)
    if config.one_pass:
        ranges = events.segments(probs, config)
    else:  # the library's own segments, turned into frame ranges of the same probabilities
        found = model.library_events(samples)
        ranges = {label: [(int(round(a / FRAME_S)), int(round(b / FRAME_S))) for a, b in found.get(label, [])] for label in LABELS}
    model_s = time.perf_counter() - t0
    table = typed_table(events.rows(ranges, probs), EVENTS_SCHEMA)
    duration = audio.video_duration_s or audio.duration_s
    return AnalyzerResult(
        tables={"events": table},
        stats=events.table_shares(table, duration) | {"segments": len(table), "model_s": round(model_s, 4), "engine": model.engine},
        notes=[] if len(table) else ["no speech, music or singing found"],
    )


PARITY_THRESHOLD = 0.9
# The library's post-processing ends an event when its 0.2 s of silence are confirmed; the
# optimized preset's ends it where the probability falls (0.2 s earlier, nearer the truth:
# docs/faces-and-audio.md). Boundaries are scored outside this collar.
PARITY_COLLAR_S = 0.25


def parity(baseline: dict[str, pd.DataFrame], optimized: dict[str, pd.DataFrame]) -> ParityReport:
    """Time-IoU per label of the optimized segments against the baseline's, outside a 0.25 s
    collar around the baseline's boundaries; the score is the lowest of the three (a preset that
    loses music but keeps speech must not pass)."""
    parts = events.label_agreement(baseline["events"], optimized["events"], PARITY_COLLAR_S)
    score = min(parts.values())
    return ParityReport(score=round(score, 4), parts=parts, passed=score >= PARITY_THRESHOLD,
                        detail="time IoU per label: " + ", ".join(f"{k} {v:.3f}" for k, v in parts.items()))


def truth_spans(truth: dict, seconds: float) -> dict[str, list[tuple[float, float]]]:
    """The ground truth's spans per label up to ``seconds``: speech from the utterances, music and
    singing from ``audio_events`` (the sample corpus writes both)."""
    audio = truth.get("audio_events", {})
    utterances = (truth.get("speech") or {}).get("utterances", [])
    spans = {"speech": [(u["start"], u["end"]) for u in utterances]}
    for label in ("music", "singing"):
        spans[label] = [tuple(s) for s in audio.get(label, [])]
    return {k: [(a, min(b, seconds)) for a, b in v if a < seconds] for k, v in spans.items()}


def accuracy(table: pd.DataFrame, truth: dict, seconds: float) -> dict[str, float]:
    """Shares against the truth's, and the time IoU per label."""
    said = events.shares({label: events.spans_of(table, label, seconds) for label in LABELS}, seconds)
    true = events.shares(truth_spans(truth, seconds), seconds)
    out: dict[str, float] = {}
    for key in said:
        out[key] = said[key]
        out[f"{key}_truth"] = true[key]
        out[f"{key}_error"] = round(abs(said[key] - true[key]), 4)
    return out
