"""The models speech_rate needs; ``resources/speech.py`` loads them."""

from dataclasses import dataclass
from typing import Any


@dataclass
class SpeechModels:
    """vad: a Silero VAD torch model; asr: a faster_whisper.WhisperModel; languages: the ISO 639-1
    codes a stretch of speech may be detected as (empty: any the model knows)."""

    vad: Any
    asr: Any
    device: str = "cpu"
    languages: tuple[str, ...] = ()
