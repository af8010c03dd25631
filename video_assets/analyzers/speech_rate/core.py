"""speech_rate for one audio track: VAD, singing, recognition, pitch, metrics."""

from __future__ import annotations

import time

from video_assets.analyzers.base import AnalyzerResult
from video_assets.analyzers.speech_rate.coverage import recover, stretches_without_words
from video_assets.analyzers.speech_rate.metrics import _finish, _no_audio
from video_assets.analyzers.speech_rate.model import SpeechModels
from video_assets.analyzers.speech_rate.presets import Config
from video_assets.analyzers.speech_rate.sung import singing_spans
from video_assets.analyzers.speech_rate.vad import speech_regions
from video_assets.analyzers.speech_rate.language import language_runs
from video_assets.analyzers.speech_rate.windows import transcribe, transcribe_speech
from video_assets.media.frames import AudioTrack


def run(audio: AudioTrack, config: Config, models: SpeechModels) -> AnalyzerResult:
    """Segments table and one-row summary for one audio track. The result depends on this track,
    the preset and the models alone (nothing is shared with other videos of the step)."""
    if audio.sample_rate != 16000:
        raise ValueError(f"speech_rate expects 16 kHz audio, got {audio.sample_rate} ({audio.source})")
    if not audio.has_audio:
        return _no_audio(audio)
    config = config.on(models.device)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    regions = speech_regions(audio.samples, models.vad, config)
    timings["vad_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    singing = singing_spans(audio.samples, models.events, config)  # sung is not spoken (sung.py)
    timings["singing_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    runs = language_runs(audio.samples, regions, models.asr, config, models.languages)
    timings["language_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    if config.use_vad and not regions:
        segments = []  # no speech: no language, not a guess
    elif config.batched and config.use_vad:
        segments = transcribe_speech(audio.samples, runs, models.asr, config)
    else:
        segments = transcribe(audio.samples, runs, models.asr, config)
    timings["asr_s"] = time.perf_counter() - t0
    # Nothing said is lost: VAD speech with no word is decoded again alone; what still has none is
    # reported with why (coverage.py).
    t0 = time.perf_counter()
    stretches = stretches_without_words(regions, [w for s in segments for w in s.words], config.coverage_word_pad_s, config.coverage_min_s)
    unheard, recovered = [], 0
    if stretches and config.coverage_recover:
        found, unheard = recover(audio.samples, stretches, runs, models.asr, config, singing)
        recovered = sum(len(s.words) for s in found)
        segments = sorted(segments + found, key=lambda s: s.start)
    timings["coverage_s"] = time.perf_counter() - t0
    return _finish(audio, config, regions, segments, timings, unheard, {"recovered_words": recovered, "stretches_decoded_again": len(stretches),
                                                                         "singing_spans": len(singing)}, singing)
