"""Sung is not spoken (issue #49 item 3): which speech segments, VAD regions and wordless stretches
lie in singing.

Why: Silero's VAD and Whisper take a singing voice for speech. A song's words came back as
segments with a "speaking rate" (real_a_cappella: 86 wpm of a Tagalog children's song), its
phrases as speaking time and its breaths as pauses, and the phrase Whisper could not read as
speech lost (4.6 % of the clip's "speech"). So singing is found from the audio itself, with the
audio event model's singing probability and the post-processing audio_events uses
(``analyzers/sound_events.py``: this analyzer reads the audio, not another analyzer's table), and a
segment, region or stretch is sung where at least ``Config.sung_min_share`` of it lies in singing.
Sung segments keep their words (the lyrics stay searchable) and are marked ``sung``; the rates,
pauses, languages and the coverage share are the spoken ones.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from video_assets.analyzers.sound_events import EventModel, EventPost, segments, seconds, union
from video_assets.analyzers.speech_rate.presets import Config


def singing_spans(samples: np.ndarray, model: EventModel | None, config: Config) -> list[tuple[float, float]]:
    """The singing in a 16 kHz track as (start_s, end_s) spans: the event model's singing
    probability through the shared post-processing at ``config.sung_threshold``. Empty where the
    preset does not set singing apart."""
    if not config.sung_apart:
        return []
    if model is None:
        raise ValueError("speech_rate sets singing apart (Config.sung_apart) but has no audio event model: "
                         "SpeechModels.events is None (resources/speech.py loads it; VIDEO_ASSETS_AUDIO_EVENT_MODEL)")
    if samples.size == 0:
        return []
    probs = model.probs(np.ascontiguousarray(samples, dtype=np.float32))
    post = EventPost(singing_threshold=config.sung_threshold)
    return seconds(segments(probs, post, ("singing",))["singing"])


def share_in(start: float, end: float, spans: list[tuple[float, float]]) -> float:
    """The share of [start, end) inside the spans (sorted, not overlapping); 0 for an empty stretch."""
    if end <= start:
        return 0.0
    inside = sum(max(0.0, min(end, b) - max(start, a)) for a, b in spans)
    return inside / (end - start)


def is_sung(start: float, end: float, spans: list[tuple[float, float]], config: Config) -> bool:
    return bool(spans) and share_in(start, end, spans) >= config.sung_min_share


def spoken_pauses(regions: list[tuple[float, float]], sung: list[bool], min_s: float) -> list[tuple[float, float]]:
    """The silences >= min_s between two spoken regions: a gap next to a sung region is a breath in
    the song or the song's edge, not a pause in the talk; a song between two sentences is not
    one long pause either (the regions on its either side are not neighbours)."""
    return [(a[1], b[0]) for (a, sa), (b, sb) in zip(zip(regions, sung), zip(regions[1:], sung[1:]))
            if not sa and not sb and b[0] - a[1] >= min_s]


def _region_of(t: float, regions: list[tuple[float, float]]) -> tuple[float, float] | None:
    return next(((a, b) for a, b in regions if a <= t <= b), None)


def held(segments: list[Any], sung: list[bool], regions: list[tuple[float, float]]) -> list[Any]:
    """Sung segments widened to the VAD regions their first and last words are in, never into a
    neighbour segment: a singer holds a line's last note, and Whisper's word times (aligned for
    speech) end where the word is articulated, not where the note ends (real_a_cappella: its lines'
    segments ended 0.5-0.6 s before the voice). A sung segment has no rate, so its time is the
    line as sung. Spoken segments keep their words' times (their words per minute is over them)."""
    out = list(segments)
    for i, (seg, x) in enumerate(zip(segments, sung)):
        if not x:
            continue
        first, last = _region_of(seg.start, regions), _region_of(seg.end, regions)
        lo = max(first[0], out[i - 1].end) if first and i > 0 else (first[0] if first else seg.start)
        hi = min(last[1], segments[i + 1].start) if last and i + 1 < len(segments) else (last[1] if last else seg.end)
        out[i] = replace(seg, start=min(seg.start, lo), end=max(seg.end, hi))
    return out
