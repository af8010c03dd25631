"""The spoken language per stretch of speech: a creator who switches from English to German gets
each half transcribed in its own language.

Why per region and not per video: Whisper decodes a window in the one language it is told (or
detects from the window's start); told ``de`` for an English sentence, or ``en`` for a German one,
it writes the sounds as words of the wrong language (measured on the sample corpus' bilingual
clips: word error rate 0.48 and 5.0 with one language for the track).

How: each speech unit (Silero VAD regions a short breath apart, up to ``Config.language_unit_s``)
is encoded on its own, zero-padded to ``Config.language_window_s`` (10 s), and Whisper's language
head reads that encoding; a unit read with less than ``language_recheck_p`` confidence is read again
padded to Whisper's own 30 s window. Padded to 10 s an encoder pass costs a quarter of the 30 s one
and is as sure on clear speech; on short or accented speech it is less reliable (measured on the
sample clips: a 4.6 s German unit ``la`` 0.66 at 10 s, ``de`` first at 30 s). Reading the language
off the recognizer's own windows is not possible here: a packed window holds both languages, and slicing its encoding per region, or pasting a region's frames into
a silent window's encoding, gave wrong languages on monolingual clips (tried; docs/languages.md, "Bilingual
speech"). Units shorter than ``language_short_s`` whose top language is below
``language_strong_p`` take their neighbours' language: a word or two is weak evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from video_assets.analyzers.speech_rate.presets import Config
from video_assets.media.frames import AUDIO_SAMPLE_RATE as SR


@dataclass(frozen=True)
class LanguageRun:
    """A stretch of the track, [start, end) seconds, spoken in one language: its VAD regions and the
    time-weighted probability the recognizer gave that language over them."""

    start: float
    end: float
    language: str | None
    probability: float | None
    regions: tuple[tuple[float, float], ...]


def speech_units(regions: list[tuple[float, float]], max_gap_s: float, max_s: float) -> list[list[tuple[float, float]]]:
    """VAD regions grouped into units: consecutive regions less than max_gap_s apart, a unit at most
    max_s long (a breath inside a sentence joins it; a sentence's end starts a new unit)."""
    units: list[list[tuple[float, float]]] = []
    for region in regions:
        if units and region[0] - units[-1][-1][1] < max_gap_s and region[1] - units[-1][0][0] <= max_s:
            units[-1].append(region)
        else:
            units.append([region])
    return units


def detect_units(samples: np.ndarray, units: list[list[tuple[float, float]]], asr: Any, window_s: float,
                 batch: int = 8) -> list[dict[str, float]]:
    """Per unit, the language probabilities (code -> probability) from Whisper's language head on
    the unit's audio zero-padded to window_s, ``batch`` units encoded at a time.

    Why batches of a fixed size, not every unit at once: the encoder's activations grow with the
    batch (tens of MB per 10 s window), so one batch of all units made memory grow with the
    video's speech (issue #50: 5.9 GB for 6 minutes of talk). A fixed size keeps it flat and the
    result the same for the same track."""
    out: list[dict[str, float]] = []
    n, batch = int(window_s * SR), max(1, batch)
    for first in range(0, len(units), batch):
        feats = []
        for unit in units[first : first + batch]:
            piece = samples[int(unit[0][0] * SR) : int(unit[-1][1] * SR)][:n]
            piece = np.concatenate([piece, np.zeros(n - piece.size, np.float32)]).astype(np.float32, copy=False)
            feats.append(asr.feature_extractor(piece, padding=0)[:, : n // asr.feature_extractor.hop_length])
        encoded = asr.encode(np.stack(feats))
        for ranked in asr.model.detect_language(encoded):
            out.append({token[2:-2]: float(p) for token, p in ranked})
    return out


def among(probs: dict[str, float], candidates: tuple[str, ...]) -> dict[str, float]:
    """The probabilities of the candidate languages alone, renormalized (all of them when none)."""
    if not candidates:
        return probs
    kept = {k: probs.get(k, 0.0) for k in candidates}
    total = sum(kept.values()) or 1.0
    return {k: v / total for k, v in kept.items()}


def detect(samples: np.ndarray, units: list[list[tuple[float, float]]], asr: Any, config: Config,
           candidates: tuple[str, ...] = ()) -> list[dict[str, float]]:
    """Language probabilities per unit among the candidates: first on ``language_window_s`` (10 s)
    windows, then, for units whose top language there is below ``language_recheck_p`` or not a
    candidate, again on Whisper's own 30 s window (more reliable on short or accented speech, four
    times the encoder's cost)."""
    probs = detect_units(samples, units, asr, config.language_window_s, config.batch_size)
    again = [i for i, p in enumerate(probs) if max(p.values()) < config.language_recheck_p or (candidates and max(p, key=p.get) not in candidates)]
    if again and config.language_window_s < 30.0:
        for i, p in zip(again, detect_units(samples, [units[i] for i in again], asr, 30.0, config.batch_size)):
            probs[i] = p
    return [among(p, candidates) for p in probs]


def smooth(languages: list[str], probs: list[dict[str, float]], lengths: list[float], short_s: float, strong_p: float) -> list[str]:
    """A short unit with weak evidence takes the language of the longer of its confident
    neighbours (the nearest confident unit on each side); strong or long units keep their own."""
    weak = [lengths[i] < short_s and probs[i].get(languages[i], 0.0) < strong_p for i in range(len(languages))]
    out = list(languages)
    for i in range(len(languages)):
        if not weak[i]:
            continue
        left = next((j for j in range(i - 1, -1, -1) if not weak[j]), None)
        right = next((j for j in range(i + 1, len(languages)) if not weak[j]), None)
        sides = [j for j in (left, right) if j is not None]
        if sides:
            # the neighbour the unit's own evidence prefers, then the longer one
            best = max(sides, key=lambda j: (probs[i].get(languages[j], 0.0), lengths[j]))
            out[i] = languages[best]
    return out


def language_runs(samples: np.ndarray, regions: list[tuple[float, float]], asr: Any, config: Config,
                  candidates: tuple[str, ...] = ()) -> list[LanguageRun]:
    """The track's speech as runs of one language each, in order. One run when the language is
    configured (``Config.language``) or the model knows one language (``.en``); candidates: the
    languages a run may be (empty: any)."""
    if not regions:
        return []
    fixed = config.language or (None if asr.model.is_multilingual else "en")
    if fixed or not config.language_per_region:
        return [LanguageRun(regions[0][0], regions[-1][1], fixed, 1.0 if fixed else None, tuple(regions))]
    units = speech_units(regions, config.language_gap_s, config.language_unit_s)
    probs = detect(samples, units, asr, config, candidates)
    languages = [max(sorted(p), key=p.get) for p in probs]
    lengths = [sum(b - a for a, b in unit) for unit in units]
    languages = smooth(languages, probs, lengths, config.language_short_s, config.language_strong_p)
    runs: list[LanguageRun] = []
    members: list[int] = []
    for i, lang in enumerate(languages):
        if members and languages[members[-1]] != lang:
            runs.append(_run(units, probs, lengths, members, languages[members[-1]]))
            members = []
        members.append(i)
    runs.append(_run(units, probs, lengths, members, languages[members[-1]]))
    return runs


def _run(units, probs, lengths, members: list[int], language: str) -> LanguageRun:
    weight = sum(lengths[i] for i in members) or 1.0
    probability = sum(probs[i].get(language, 0.0) * lengths[i] for i in members) / weight
    regions = tuple(r for i in members for r in units[i])
    return LanguageRun(regions[0][0], regions[-1][1], language, round(probability, 4), regions)

