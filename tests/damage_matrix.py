"""The damaged-input matrix (#51): small files made on the fly with FFmpeg and PyAV, each with what
it must come to. ``whole``: every table, no gap. ``partial``: decoded around a damaged stretch of
the stream named in ``cause`` (a gap, and a decode_gaps warning). ``half``: one decoded input fails
with its cause, the other's tables are kept. ``fails``: its one-line cause matches ``cause``.

Everything is 180x320 (or as odd as the case says), a few seconds, 30 fps, a keyframe every 15
frames so a damaged stretch has a keyframe after it to resume from: the whole matrix is written in
a few seconds. The bad-input fixture of the sample corpus (``bad_inputs`` in conftest.py) keeps the
cases made from a sample clip at full size; this is the matrix of damage kinds, at small size.
"""

from __future__ import annotations

import random
import subprocess
from dataclasses import dataclass
from pathlib import Path

SIZE = "180x320"
GOOD_LONG = "good_long"  # the clip the damaged-middle cases are made from (their reference)


@dataclass(frozen=True)
class Case:
    file: str
    expect: str  # whole | partial | half | fails
    cause: str = ""  # fails, half: a regex of the one-line cause; partial: 'video' or 'audio'


CASES = [
    Case("good_bars.mp4", "whole"),
    Case(f"{GOOD_LONG}.mp4", "whole"),
    Case("Grüße \"vom\" Café's clip.mp4", "whole"),
    Case("cut_header.mp4", "fails", "not a readable video|cannot open|no video stream|declares no"),
    Case("cut_10.mp4", "fails", "truncated"),
    Case("cut_50.mp4", "fails", "truncated"),
    Case("cut_95.mp4", "partial", "video"),  # within the completeness tolerance: its missing tail is a gap
    Case("flip_video_mid.mp4", "partial", "video"),
    Case("flip_audio_mid.mp4", "partial", "audio"),
    Case("flip_video_all.mp4", "half", "no decodable video frames"),
    Case("empty_audio.mp4", "whole"),
    Case("video_only.mp4", "whole"),
    Case("audio_only.mp4", "fails", "no video stream"),
    Case("one_frame.mp4", "whole"),
    Case("short_0_2s.mp4", "whole"),
    Case("odd_1081x1921.mp4", "whole"),
    Case("fps_240.mp4", "whole"),
    Case("two_audio.mp4", "whole"),
    Case("rotated_270.mp4", "whole"),
    Case("broken_moov.mp4", "fails", "not a readable video|cannot open|no video stream|declares no|unsupported|truncated|no decodable"),
    Case("still_writing.mp4", "fails", "not a readable video|cannot open|truncated"),
    Case("not_video.mp4", "fails", "not a readable video"),
    Case("zero_bytes.mp4", "fails", "file is empty"),
]
GOOD = [c.file for c in CASES if c.file.startswith(("good", "Grüße"))]


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args], check=True)


def _clip(out: Path, seconds: float, *, source: str = "testsrc2", rate: int = 30, audio: int = 1,
          video: bool = True, extra: tuple[str, ...] = (), faststart: bool = True) -> None:
    inputs, maps = [], []
    if video:
        inputs += ["-f", "lavfi", "-i", f"{source}=size={SIZE}:rate={rate}:duration={seconds}"]
        maps += ["-map", "0:v"]
    for k in range(audio):
        inputs += ["-f", "lavfi", "-i", f"sine=frequency={330 + 110 * k}:duration={seconds}:sample_rate=44100"]
        maps += ["-map", f"{int(video) + k}:a"]
    codec = ["-c:v", "libx264", "-preset", "ultrafast", "-g", "15", "-pix_fmt", "yuv420p"] if video else []
    _ffmpeg(*inputs, *maps, *codec, *(["-c:a", "aac", "-b:a", "64k"] if audio else []), *extra,
            *(["-movflags", "+faststart"] if faststart else []), str(out))


def _flip(src: Path, dst: Path, kind: str, start_s: float, end_s: float) -> int:
    """Overwrite the payload of ``kind``'s packets between start_s and end_s with random bytes
    (their positions from PyAV): the container stays readable, the codec gets garbage."""
    import av

    data = bytearray(src.read_bytes())
    rng = random.Random(51)
    flipped = 0
    with av.open(str(src)) as container:
        for packet in container.demux():
            if packet.size and packet.stream.type == kind and packet.pos is not None and packet.pts is not None:
                if start_s <= float(packet.pts * packet.time_base) < end_s:
                    for i in range(packet.pos + 4, packet.pos + packet.size):
                        data[i] = rng.randrange(256)
                    flipped += 1
    dst.write_bytes(bytes(data))
    return flipped


def _empty_audio(src: Path, dst: Path) -> None:
    """The video stream of ``src`` and an AAC stream without a single packet (Matroska keeps such a track)."""
    import av

    with av.open(str(src)) as inp, av.open(str(dst), "w", format="matroska") as out:
        vin = inp.streams.video[0]
        vout = out.add_stream_from_template(vin)
        out.add_stream("aac", rate=44100)
        for packet in inp.demux(vin):
            if packet.dts is not None:
                packet.stream = vout
                out.mux(packet)


def build(root: Path) -> dict[str, Path]:
    """Every case of ``CASES`` in ``root`` (one folder, as a corpus); returns file name -> path."""
    root.mkdir(parents=True, exist_ok=True)
    p = {c.file: root / c.file for c in CASES}
    _clip(p["good_bars.mp4"], 2, source="smptebars")
    _clip(p[f"{GOOD_LONG}.mp4"], 8)
    _clip(p["Grüße \"vom\" Café's clip.mp4"], 1.5, source="rgbtestsrc")
    good = p[f"{GOOD_LONG}.mp4"].read_bytes()
    p["cut_header.mp4"].write_bytes(good[:300])
    for share in (10, 50, 95):
        p[f"cut_{share}.mp4"].write_bytes(good[: len(good) * share // 100])
    assert _flip(p[f"{GOOD_LONG}.mp4"], p["flip_video_mid.mp4"], "video", 4.0, 4.2) >= 5
    assert _flip(p[f"{GOOD_LONG}.mp4"], p["flip_audio_mid.mp4"], "audio", 4.0, 4.5) >= 10
    assert _flip(p[f"{GOOD_LONG}.mp4"], p["flip_video_all.mp4"], "video", 0.0, 99.0) >= 200
    video_only = p["video_only.mp4"]
    _clip(video_only, 2, audio=0)
    _empty_audio(video_only, p["empty_audio.mp4"])
    _clip(p["audio_only.mp4"], 2, video=False)
    _clip(p["one_frame.mp4"], 1, extra=("-frames:v", "1", "-shortest"))
    _clip(p["short_0_2s.mp4"], 0.2)
    _clip(p["odd_1081x1921.mp4"], 0.5, extra=("-vf", "scale=1081:1921", "-pix_fmt", "yuv444p"))  # lavfi sources are even
    _clip(p["fps_240.mp4"], 1, rate=240)
    _clip(p["two_audio.mp4"], 2, audio=2)
    _ffmpeg("-i", str(p["good_bars.mp4"]), "-c", "copy", "-metadata:s:v:0", "rotate=270", str(p["rotated_270.mp4"]))  # a tag on a copy
    moov = bytearray(p["good_bars.mp4"].read_bytes())
    at = moov.index(b"moov")  # faststart: the movie header leads; its sample tables become garbage
    rng = random.Random(7)
    for i in range(at + 40, min(at + 4000, len(moov))):
        moov[i] = rng.randrange(256)
    p["broken_moov.mp4"].write_bytes(bytes(moov))
    writing = root.parent / "writing.mp4"
    _clip(writing, 2, faststart=False)  # the movie header comes last: a copy in progress has none yet
    p["still_writing.mp4"].write_bytes(writing.read_bytes()[: writing.stat().st_size * 6 // 10])
    writing.unlink()
    p["not_video.mp4"].write_text("this is not a video\n" * 40)
    p["zero_bytes.mp4"].write_bytes(b"")
    return p
