"""The models speech_rate needs; ``resources/speech.py`` loads them."""

from dataclasses import dataclass
from typing import Any

from video_assets.analyzers.sound_events import EventModel


@dataclass
class SpeechModels:
    """vad: a Silero VAD torch model; asr: a faster_whisper.WhisperModel; languages: the ISO 639-1
    codes a stretch of speech may be detected as (empty: any the model knows); events: the audio
    event model (``sound_events.EventModel``) whose singing probability tells sung words from
    spoken ones (``sung.py``). Required when a preset sets ``sung_apart``: ``run`` says so."""

    vad: Any
    asr: Any
    device: str = "cpu"
    languages: tuple[str, ...] = ()
    events: EventModel | None = None
