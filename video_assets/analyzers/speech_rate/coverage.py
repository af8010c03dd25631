"""Nothing said is lost: every stretch the VAD calls speech comes back as words, or is reported with why.

Why a second pass: the optimized recognition decodes each packed window once (faster-whisper's
batched pipeline). Whisper's own loop, decoding a long track, seeks on after the last timestamp it
wrote, so what it skipped is decoded again; the batched pipeline does not: where the decoder ends a
window early, or steps over a sentence, those words are silently lost (measured on the real
recordings: the whole speech of ``real_music_bed`` as one 26.7 s window loses its last sentence,
"In 1813"; docs/real-recordings.md, "Speech coverage"). So after the first pass, the VAD speech
that no word covers is found (``stretches_without_words``) and each such stretch is decoded again
on its own (``recover``): what it says is added; what still has no word is reported with a reason:

* ``too_short``: shorter than ``Config.coverage_short_s`` and decoded to nothing, alone either;
* ``no_speech``: decoded alone, the recognizer writes nothing (music, noise or a breath the VAD
  took for speech); its no-speech probability is in the text;
* ``unintelligible``: decoded to text that is not kept, by Whisper's own filters (average
  log-probability below -1, which holds its no-speech skip: no-speech probability above 0.6 with
  such a log-probability; a gzip compression ratio above 2.4: a repetition), or to no word inside
  the stretch (symbols such as ``♪``);
* ``sung``: a stretch mostly in singing (``sung.py``), whatever the decoder made of it: singing the
  recognizer cannot read is not lost speech, so it is listed and not counted in the share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from video_assets.analyzers.speech_rate.language import SR, LanguageRun
from video_assets.analyzers.speech_rate.presets import Config
from video_assets.analyzers.speech_rate.sung import is_sung

# Whisper's own thresholds (openai/whisper ``transcribe``: logprob_threshold, compression_ratio_threshold,
# no_speech_threshold): a decode below them is a guess, not words.
LOG_PROB_MIN = -1.0
COMPRESSION_MAX = 2.4
NO_SPEECH_MAX = 0.6

REASONS = ("too_short", "no_speech", "unintelligible", "sung")  # sung: given after the fact (metrics._finish, sung.py)


@dataclass
class Unheard:
    """A stretch of VAD speech [start, end) seconds that came back with no words, and why."""

    start: float
    end: float
    reason: str  # one of REASONS
    text: str = ""  # what the recognizer decoded and was not kept, or its no-speech probability

    def row(self) -> dict[str, Any]:
        return {"start_s": round(self.start, 3), "end_s": round(self.end, 3), "reason": self.reason, "text": self.text}


def stretches_without_words(regions: list[tuple[float, float]], words: list[Any], pad_s: float, min_s: float) -> list[tuple[float, float]]:
    """The parts of the VAD regions no word covers (each word widened by pad_s either side: word
    times are estimates, the VAD pads its regions): a whole region with no word in it, or a part of
    a region at least min_s long (shorter parts at a region's edges are the VAD's padding)."""
    spans = sorted((float(w.start) - pad_s, float(w.end) + pad_s) for w in words)
    out: list[tuple[float, float]] = []
    for a, b in regions:
        inside = [(s, e) for s, e in spans if e > a and s < b]
        if not inside:
            out.append((a, b))
            continue
        t = a
        for s, e in inside:
            if s - t >= min_s:
                out.append((t, s))
            t = max(t, e)
        if b - t >= min_s:
            out.append((t, b))
    return out


def _run_of(runs: list[LanguageRun], mid: float) -> LanguageRun | None:
    if not runs:
        return None
    return min(runs, key=lambda r: 0.0 if r.start <= mid <= r.end else min(abs(mid - r.start), abs(mid - r.end)))


def _kept(seg: Any) -> str | None:
    """Why Whisper's own filters would not keep a decoded segment (None: kept)."""
    if seg.compression_ratio > COMPRESSION_MAX:
        return f"repetitive (compression {seg.compression_ratio:.1f} > {COMPRESSION_MAX})"
    if seg.avg_logprob < LOG_PROB_MIN:  # Whisper's no-speech skip (no-speech > 0.6 and this) is inside this one
        said = f", no-speech probability {seg.no_speech_prob:.2f}" if seg.no_speech_prob > NO_SPEECH_MAX else ""
        return f"log-probability {seg.avg_logprob:.2f} < {LOG_PROB_MIN}{said}"
    return None


def recover(samples: np.ndarray, stretches: list[tuple[float, float]], runs: list[LanguageRun], asr: Any, config: Config,
            singing: list[tuple[float, float]] = ()):
    """Each stretch decoded again alone (one Whisper window each, in its run's language, batches of
    ``config.batch_size``): (segments of the words found inside the stretches, the stretches
    still without words as ``Unheard``).

    In a sung stretch (``singing``: the track's singing spans) a decode below the log-probability
    filter is kept as lyrics: Whisper decodes singing with low confidence as a rule (the last
    phrase of real_a_cappella: -1.69, no-speech probability 0.75), and its words, kept in a sung
    segment, count in no rate. A repetition is dropped there too."""
    from faster_whisper import BatchedInferencePipeline

    from video_assets.analyzers.speech_rate.windows import Word, _nfc, _Segment, _whisper_options

    found: list[_Segment] = []
    unheard: list[Unheard] = []
    by_language: dict[str | None, list[tuple[tuple[float, float], LanguageRun | None]]] = {}
    for stretch in stretches:
        run = _run_of(runs, (stretch[0] + stretch[1]) / 2)
        by_language.setdefault(run.language if run else config.language, []).append((stretch, run))
    total = samples.size / SR
    for language, members in by_language.items():
        clips = [{"start": max(a, 0.0), "end": min(b, total)} for (a, b), _ in members]
        raw, info = BatchedInferencePipeline(model=asr).transcribe(
            samples, clip_timestamps=clips, batch_size=config.batch_size, without_timestamps=False, **_whisper_options(config, language))
        decoded: list[list[Any]] = [[] for _ in members]
        for seg in raw:
            mid = (seg.start + seg.end) / 2
            i = min(range(len(members)), key=lambda k: 0.0 if clips[k]["start"] <= mid <= clips[k]["end"]
                    else min(abs(mid - clips[k]["start"]), abs(mid - clips[k]["end"])))
            decoded[i].append(seg)
        for ((a, b), run), segs in zip(members, decoded):
            kept_any, dropped = False, []
            sung = is_sung(a, b, list(singing), config)
            for seg in segs:
                words = [Word(float(w.start), float(w.end), _nfc(w.word)) for w in (seg.words or [])
                         if w.word.strip() and a - config.coverage_word_pad_s <= (w.start + w.end) / 2 <= b + config.coverage_word_pad_s]
                why = _kept(seg)
                if words and (why is None or (sung and seg.compression_ratio <= COMPRESSION_MAX)):
                    out = _Segment(words[0].start, words[-1].end, _nfc(" ".join(w.text for w in words)), words)
                    if run is not None:
                        out.language, out.language_probability = run.language, run.probability
                    if out.language is None and info is not None:
                        out.language, out.language_probability = info.language, round(float(info.language_probability), 4)
                    found.append(out)
                    kept_any = True
                elif _nfc(seg.text):
                    dropped.append(f"{_nfc(seg.text)!r}: {why or 'no word inside the stretch'}")
            if kept_any:
                continue
            if dropped:
                unheard.append(Unheard(a, b, "unintelligible", "; ".join(dropped)))
            elif b - a < config.coverage_short_s:
                unheard.append(Unheard(a, b, "too_short"))
            else:
                no_speech = max((s.no_speech_prob for s in segs), default=None)
                unheard.append(Unheard(a, b, "no_speech", "" if no_speech is None else f"no-speech probability {no_speech:.2f}"))
    unheard.sort(key=lambda u: u.start)
    return found, unheard
