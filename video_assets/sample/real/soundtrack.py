"""A real clip's sound: the recordings placed on the clip's timeline at their levels (speech at a
fixed loudness, a music bed or song under it), with the truth of what is said and sung where; and
the sound alone as a small video (``write_sound``) for the speech tests and their measurement
(``tests/test_speech_real.py``, ``benchmark/speech_real.py``): the clip's exact audio track in a
second, where the whole clip takes minutes."""

from __future__ import annotations

import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np

from video_assets.sample.real.catalogue import REAL_CLIPS
from video_assets.sample.real.media import lyrics_lines, path, sung_phrases
from video_assets.sample.real.scenes import SPEECH_DBFS, TRIM_SHARE, RealClip

SR = 22050


def _decode(name: str, sr: int = SR) -> np.ndarray:
    """A media file's audio as mono float32 at ``sr`` (ffmpeg's decoder and resampler)."""
    out = subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(path(name)), "-ac", "1", "-ar", str(sr), "-f", "f32le", "-"],
        check=True, capture_output=True,
    ).stdout
    return np.frombuffer(out, dtype=np.float32).astype(np.float64)


def _frame_rms(x: np.ndarray, sr: int = SR, hop: float = 0.02) -> np.ndarray:
    n = int(hop * sr)
    k = x.size // n
    return np.sqrt((x[: k * n].reshape(k, n) ** 2).mean(axis=1))


def speech_window(x: np.ndarray, sr: int = SR) -> tuple[float, float]:
    """Where the one sentence of a quiet studio recording is: the first and last 20 ms frame whose
    RMS passes ``TRIM_SHARE`` of the loudest frame's."""
    rms = _frame_rms(x, sr)
    on = np.flatnonzero(rms > TRIM_SHARE * rms.max())
    return round(on[0] * 0.02, 3), round((on[-1] + 1) * 0.02, 3)


def _level(x: np.ndarray, windows: list[tuple[float, float]], sr: int = SR) -> float:
    """RMS over the given windows (seconds into x)."""
    parts = [x[int(a * sr): int(b * sr)] for a, b in windows]
    joined = np.concatenate(parts) if parts else x
    return float(np.sqrt(np.mean(joined ** 2))) or 1e-9


def _place(track: np.ndarray, sound: np.ndarray, at: float, name: str, sr: int = SR) -> None:
    a = int(round(at * sr))
    if a + sound.size > track.size:
        raise ValueError(f"{name}: runs past the clip end")
    track[a: a + sound.size] += sound


def build_audio(clip: RealClip, work: Path) -> tuple[Path, dict | None, dict]:
    """The clip's audio track (16-bit WAV at 22.05 kHz), its speech truth and its audio events."""
    track = np.zeros(int(round(clip.duration * SR)))
    target = 10 ** (SPEECH_DBFS / 20)
    utterances = []
    for part in clip.speech:
        x = _decode(part.file)
        if part.until is not None:
            x = x[: int(part.until * SR)].copy()
            fade = int(0.05 * SR)
            x[-fade:] *= np.linspace(1, 0, fade)
        windows = [(a, b) if a is not None else speech_window(x) for _, a, b in part.utterances]
        x = x * (target / _level(x, windows))
        _place(track, x, part.at, part.file)
        speakers = part.speakers or (part.speaker,) * len(part.utterances)
        for (text, _, _), (a, b), speaker in zip(part.utterances, windows, speakers):
            utterances.append({"text": text, "start": round(part.at + a, 3), "end": round(part.at + b, 3),
                               "language": part.language, "speaker": speaker, "style": part.style, "source": part.file})
    utterances.sort(key=lambda u: u["start"])
    for a, b in zip(utterances, utterances[1:]):
        if b["start"] < a["end"]:
            raise ValueError(f"{clip.name}: {b['text']!r} overlaps {a['text']!r}")
    music, singing, lyrics = [], [], []
    for sound in clip.sounds:
        x = _decode(sound.file)[int(sound.offset * SR):][: int(round((sound.end - sound.start) * SR))].copy()
        fade = min(int(0.5 * SR), x.size // 4) if sound.kind == "bed" else 0
        if fade:
            x[:fade] *= np.linspace(0, 1, fade)
            x[-fade:] *= np.linspace(1, 0, fade)
        if sound.kind == "a_cappella":
            phrases = [(round(sound.start + a, 3), round(sound.start + b, 3)) for a, b in sung_phrases()]
            x = x * (target * 10 ** (-sound.below_speech_db / 20) / _level(x, [(a - sound.start, b - sound.start) for a, b in phrases]))
            singing += [[a, b] for a, b in phrases]
            lyrics += [{"text": line, "start": a, "end": b, "language": "tl"} for line, (a, b) in zip(lyrics_lines(), phrases)]
        else:
            x = x * (target * 10 ** (-sound.below_speech_db / 20) / _level(x, []))
            music.append([sound.start, sound.end])
        _place(track, x, sound.start, sound.file)
    out = work / "audio.wav"
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes((np.clip(track, -1.0, 32767 / 32768) * 32768.0).astype(np.int16).tobytes())
    events = {"music": music, "singing": singing, "lyrics": lyrics,
              "music_below_speech_db": [s.below_speech_db for s in clip.sounds if s.kind == "bed"]}
    if not utterances:  # nothing said (as the synthetic corpus' clips without speech; a song's words are its lyrics)
        return out, None, events
    words = sum(len(u["text"].split()) for u in utterances)
    speech_time = sum(u["end"] - u["start"] for u in utterances)
    by_language = {lang: sum(u["end"] - u["start"] for u in utterances if u["language"] == lang) for lang in {u["language"] for u in utterances}}
    speech = {
        "transcript": " ".join(u["text"] for u in utterances),
        "language": max(sorted(by_language), key=by_language.get) if by_language else None,
        "languages": {k: round(v / speech_time, 3) for k, v in sorted(by_language.items())},
        "utterances": utterances,
        "word_count": words,
        "espeak_wpm_setting": None,  # real recordings: the speakers' own rate
        "speech_time_s": round(speech_time, 3),
        "words_per_minute_speaking": round(words / speech_time * 60.0, 2),
        "pauses": [{"start": a["end"], "end": b["start"]} for a, b in zip(utterances, utterances[1:])],
        "speakers": sorted({u["speaker"] for u in utterances}),
    }
    return out, speech, events



def write_sound(name: str, out_dir: Path) -> tuple[Path, dict]:
    """A clip's sound alone: its audio track encoded as in the clip (AAC 96 kb/s, 44.1 kHz, bit-exact),
    under a 16x16 black picture at 1 fps (a video file, as the decoders expect), in a second where
    the whole clip takes minutes; and the clip's truth with ``speech`` and ``audio_events``. For the
    speech tests and their measurement (benchmark/speech_real.py): the audio is the clip's."""
    clip = {c.name: c for c in REAL_CLIPS}[name]
    out = Path(out_dir) / f"{name}.sound.mp4"
    with tempfile.TemporaryDirectory() as tmp:
        wav, speech, events = build_audio(clip, Path(tmp))
        subprocess.run([
            "ffmpeg", "-nostdin", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"color=black:s=16x16:r=1:d={clip.duration}", "-i", str(wav),
            "-c:a", "aac", "-b:a", "96k", "-ar", "44100", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
            "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact", "-map_metadata", "-1", str(out),
        ], check=True)
    return out, {"file": out.name, "duration": clip.duration, "speech": speech, "audio_events": events}
