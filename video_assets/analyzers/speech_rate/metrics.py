"""From words, pitch and speech regions to the segments table and the summary row.

Sung segments (``sung.py``) stay in the table with their words, marked ``sung``; the summary's
rates, pauses, languages and coverage share are the spoken ones, the sung time and words apart."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from video_assets.analyzers.base import AnalyzerResult, typed_table
from video_assets.analyzers.speech_rate.coverage import Unheard
from video_assets.analyzers.speech_rate.pitch import pitch_track
from video_assets.analyzers.speech_rate.presets import Config
from video_assets.analyzers.speech_rate.schemas import SEGMENTS_SCHEMA, SUMMARY_SCHEMA
from video_assets.analyzers.speech_rate.sung import held, is_sung, spoken_pauses, union
from video_assets.analyzers.speech_rate.windows import Word, _Segment
from video_assets.media.frames import AudioTrack


# Filler words per language (ISO 639-1, as Whisper names it), declared once: a language without a
# list finds no fillers rather than another language's.
FILLERS: dict[str, tuple[str, ...]] = {
    "en": ("um", "uh", "er", "erm", "ah", "hmm", "like", "basically", "actually", "literally", "you know", "i mean"),
    "de": ("äh", "ähm", "öh", "hm", "also", "halt", "quasi", "sozusagen", "eigentlich", "irgendwie", "genau"),
}


def _normalize(word: str) -> str:
    return re.sub(r"[^\w']+", "", word.lower())


def find_fillers(text: str, language: str | None) -> list[str]:
    tokens = [_normalize(t) for t in text.split()]
    joined = " " + " ".join(tokens) + " "
    found = []
    for filler in FILLERS.get(language, ()):
        found.extend([filler] * joined.count(f" {filler} "))
    return found


def _word_energy(samples: np.ndarray, word: Word) -> float:
    piece = samples[int(word.start * 16000) : max(int(word.end * 16000), int(word.start * 16000) + 1)]
    return float(np.sqrt(np.mean(np.square(piece)))) if piece.size else 0.0


def _loud(samples: np.ndarray, words: list[Word], config: Config) -> set[int]:
    """The ids of the words louder than their group's mean + z * std (at least three words)."""
    energies = np.array([_word_energy(samples, w) for w in words]) if words else np.zeros(0)
    if energies.size < 3 or not energies.std() > 0:
        return set()
    limit = energies.mean() + config.emphasis_z * energies.std()
    return {id(w) for w, e in zip(words, energies) if e > limit}


def _segment_row(seg: _Segment, times: np.ndarray, f0: np.ndarray, loud: set[int], config: Config, sung: bool = False) -> dict:
    duration = max(seg.end - seg.start, 1e-6)
    in_seg = f0[(times >= seg.start) & (times < seg.end)]
    gaps = [b.start - a.end for a, b in zip(seg.words, seg.words[1:])]
    return {
        "start_s": round(seg.start, 3),
        "end_s": round(seg.end, 3),
        "text": seg.text,
        "word_count": len(seg.words),
        "words_per_minute": round(len(seg.words) / duration * 60.0, 2),
        "pitch_mean_hz": float(np.mean(in_seg)) if in_seg.size else None,
        "pitch_std_hz": float(np.std(in_seg)) if in_seg.size else None,
        "pitch_min_hz": float(np.min(in_seg)) if in_seg.size else None,
        "pitch_max_hz": float(np.max(in_seg)) if in_seg.size else None,
        "pauses_inside": int(sum(g >= config.pause_min_s for g in gaps)),
        "fillers": find_fillers(seg.text, seg.language),
        "emphasized_words": [w.text for w in seg.words if id(w) in loud],
        "language": seg.language,
        "language_probability": seg.language_probability,
        "sung": sung,
    }


def language_shares(segments: list[_Segment]) -> tuple[list[dict], str | None, float | None]:
    """Each language's share of the speaking time (its segments' durations), largest first; the
    dominant language and its time-weighted probability. Only where words were heard: no speech
    claims no language."""
    time_by: dict[str, float] = {}
    prob_by: dict[str, float] = {}
    for seg in segments:
        if seg.words and seg.language:
            d = max(seg.end - seg.start, 1e-3)
            time_by[seg.language] = time_by.get(seg.language, 0.0) + d
            prob_by[seg.language] = prob_by.get(seg.language, 0.0) + d * (seg.language_probability if seg.language_probability is not None else float("nan"))
    total = sum(time_by.values())
    if not total:
        return [], None, None
    ranked = sorted(time_by, key=lambda k: (-time_by[k], k))
    top = ranked[0]
    prob = prob_by[top] / time_by[top]
    return [{"language": k, "share": round(time_by[k] / total, 4)} for k in ranked], top, (None if np.isnan(prob) else round(prob, 4))


def _no_audio(audio: AudioTrack) -> AnalyzerResult:
    summary = {
        "has_audio": False, "duration_s": audio.video_duration_s, "total_words": 0, "speaking_time_s": 0.0,
        "speech_rate_wpm": 0.0, "articulation_rate_wpm": 0.0, "pause_count": 0, "pause_total_s": 0.0,
        "speaking_pct": 0.0, "sung_s": 0.0, "sung_words": 0, "language": None, "language_probability": None, "languages": [],
        "speech_without_words_s": 0.0, "speech_without_words_share": 0.0, "speech_without_words": [],
    }
    return AnalyzerResult(
        tables={"segments": typed_table([], SEGMENTS_SCHEMA), "summary": typed_table([summary], SUMMARY_SCHEMA)},
        stats={"seconds": 0.0, "asr_s": 0.0, "vad_s": 0.0, "pitch_s": 0.0},
        notes=["no audio stream: nothing to analyze"],
    )


def _finish(audio: AudioTrack, config: Config, regions: list[tuple[float, float]], segments: list[_Segment],
            timings: dict[str, float], unheard: list[Unheard] = (), counts: dict[str, int] | None = None,
            singing: list[tuple[float, float]] = ()) -> AnalyzerResult:
    """``singing``: the track's singing spans (``sung.singing_spans``): the segments, VAD regions and
    wordless stretches mostly inside them are sung, left out of the spoken rates and shares."""
    samples = audio.samples
    duration = audio.duration_s or audio.video_duration_s
    t0 = time.perf_counter()
    times, f0 = pitch_track(samples, config, regions) if (regions or not config.pitch_voiced_only) else (np.zeros(0), np.zeros(0))
    timings["pitch_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    sung = [is_sung(s.start, s.end, singing, config) for s in segments]
    segments = held(segments, sung, regions)
    words = [w for s, x in zip(segments, sung) if not x for w in s.words]  # spoken
    sung_words = [w for s, x in zip(segments, sung) if x for w in s.words]
    # Emphasis against the words' own kind: a sung note is not a stressed spoken word.
    loud = _loud(samples, words, config) | _loud(samples, sung_words, config)
    languages, lang, lang_p = language_shares([s for s, x in zip(segments, sung) if not x])
    if config.workers > 1 and len(segments) > 1:
        with ThreadPoolExecutor(config.workers) as pool:
            rows = list(pool.map(lambda sx: _segment_row(sx[0], times, f0, loud, config, sx[1]), zip(segments, sung)))
    else:
        rows = [_segment_row(s, times, f0, loud, config, x) for s, x in zip(segments, sung)]
    timings["metrics_s"] = time.perf_counter() - t0

    # A VAD region is sung when most of it is singing or a sung segment's line: the event model
    # calls part of a sung line speech (real_a_cappella, 11.3-12.4 s: speech 0.9) where Whisper
    # heard it as one line with the singing around it.
    in_song = union(list(singing) + [(s.start, s.end) for s, x in zip(segments, sung) if x])
    region_sung = [is_sung(a, b, in_song, config) for a, b in regions]
    speaking = sum(b - a for (a, b), x in zip(regions, region_sung) if not x)
    sung_s = sum(b - a for (a, b), x in zip(regions, region_sung) if x)
    pauses = spoken_pauses(regions, region_sung, config.pause_min_s)
    total_words = len(words)
    # Singing the recognizer could not read is not lost speech: listed as sung, not counted.
    unheard = [Unheard(u.start, u.end, "sung", u.text) if is_sung(u.start, u.end, in_song, config) else u for u in unheard]
    lost = sum(u.end - u.start for u in unheard if u.reason != "sung")
    summary = {
        "has_audio": True,
        "duration_s": round(duration, 3),
        "total_words": total_words,
        "speaking_time_s": round(speaking, 3),
        "speech_rate_wpm": round(total_words / duration * 60.0, 2) if duration > 0 else 0.0,
        "articulation_rate_wpm": round(total_words / speaking * 60.0, 2) if speaking > 0 else 0.0,
        "pause_count": len(pauses),
        "pause_total_s": round(sum(b - a for a, b in pauses), 3),
        "speaking_pct": round(100.0 * speaking / duration, 2) if duration > 0 else 0.0,
        "sung_s": round(sung_s, 3),
        "sung_words": len(sung_words),
        "language": lang,
        "language_probability": lang_p,
        "languages": languages,
        "speech_without_words_s": round(lost, 3),
        "speech_without_words_share": round(lost / speaking, 4) if speaking > 0 else 0.0,
        "speech_without_words": [u.row() for u in unheard],
    }
    notes = [] if total_words else ["no speech found"]
    if sung_s or sung_words:
        notes.append(f"sung: {sung_s:.1f} s of the VAD's voice, {sum(sung)} segments, {len(sung_words)} words (kept, marked sung, "
                     "left out of the rates and pauses)")
    notes += [f"speech with no words {u.start:.2f}-{u.end:.2f} s: {u.reason}" + (f" ({u.text})" if u.text else "") for u in unheard]
    seconds = sum(v for k, v in timings.items() if k.endswith("_s"))
    return AnalyzerResult(
        tables={"segments": typed_table(rows, SEGMENTS_SCHEMA), "summary": typed_table([summary], SUMMARY_SCHEMA)},
        stats={"seconds": round(seconds, 3)} | {k: round(v, 3) for k, v in timings.items()} | {"speech_regions": len(regions)} | (counts or {}),
        notes=notes,
    )
