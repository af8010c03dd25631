"""The models speech_rate needs; ``resources/speech.py`` loads them."""

from dataclasses import dataclass
from typing import Any


@dataclass
class SpeechModels:
    """vad: a Silero VAD torch model; asr: a faster_whisper.WhisperModel."""

    vad: Any
    asr: Any
    device: str = "cpu"
