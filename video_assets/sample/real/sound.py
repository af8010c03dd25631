"""A real clip's sound alone, for the speech tests and their measurement (``tests/test_speech_real.py``,
``benchmark/speech_real.py``): the clip's exact audio track in a second, where the whole clip takes minutes."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from video_assets.sample.real.build import build_audio
from video_assets.sample.real.clips import REAL_CLIPS


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
