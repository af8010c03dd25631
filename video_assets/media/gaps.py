"""Decode gaps: stretches of a video that could not be decoded (damaged packets) and were decoded
around. A gap is ``(start_s, end_s)`` on the video's timeline: from just after the last good frame
(or sample) to the first good one after the damage. The frames file and the audio track carry
their gaps; analyzers see the frames outside them; the profile, the report and the decode checks
name them. One home for them: the decoding loops that skip damage and record the gaps
(``VideoAroundDamage``, ``AudioAroundDamage``, used by ``decode.py``) and the few questions every
layer asks of gaps.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

Gap = tuple[float, float]


def normalized(gaps: Iterable[Sequence[float]] | None) -> list[Gap]:
    """Gaps as a sorted list of float pairs (stored JSON gives lists; old files give nothing)."""
    return sorted((round(float(a), 4), round(float(b), 4)) for a, b in (gaps or ()))


def ffmpeg_message(exc: Exception) -> str:
    """FFmpeg's words for a decoding error, without PyAV's errno and function name."""
    return str(getattr(exc, "strerror", None) or exc)


def in_gap(t: float, gaps: Sequence[Gap], slack: float = 0.0) -> bool:
    """The time lies inside a gap (``slack`` widens each gap at its start: a frame index rounds)."""
    return any(a - slack <= t < b for a, b in gaps)


def crosses_gap(before_s: float, after_s: float, gaps: Sequence[Gap]) -> bool:
    """A gap lies between two times: a change between them may be the damage, not the video."""
    return any(before_s < b and after_s > a for a, b in gaps)


def gap_seconds(gaps: Sequence[Gap]) -> float:
    return float(sum(max(0.0, b - a) for a, b in gaps))


def describe(gaps: Sequence[Gap], what: str = "") -> str:
    """``'1.43-2.00 s'`` per gap, comma-joined (``what``: 'video' or 'audio', prefixed); '' without gaps."""
    spans = ", ".join(f"{a:.2f}-{b:.2f} s" for a, b in gaps)
    return f"{what} {spans}".strip() if gaps else ""


def _seconds(frame) -> float | None:
    """A decoded frame's time in seconds (None without a timestamp)."""
    return float(frame.pts * frame.time_base) if frame.pts is not None and frame.time_base is not None else None


def decoded_packets(container, stream, on_damage):
    """Each packet's decoded frames, in order; a packet FFmpeg rejects goes to ``on_damage(exc)``
    and yields nothing (the one loop both streams decode around damage with)."""
    import av

    for packet in container.demux(stream):
        try:
            decoded = packet.decode()
        except av.error.FFmpegError as exc:
            if isinstance(exc, MemoryError):
                raise
            on_damage(exc)
            continue
        yield decoded


class VideoAroundDamage:
    """A video stream's frames with their indices, decoded around damaged packets.

    A packet the decoder rejects (FFmpeg: invalid data) no longer ends the decode: it is skipped,
    and so is every frame up to the next keyframe (they refer to the damaged ones: concealed
    garbage), as FFmpeg's own tools do. The stretch becomes a gap (``gaps``): from just after the
    last good frame to the keyframe decoding resumes at, whose index comes from its time, so the
    indices after a gap are where the frames are on the timeline. Without damage this is exactly
    ``container.decode(stream)`` with frames counted from 0 (what every good file always got)."""

    def __init__(self, fps: float):
        self.fps = fps
        self.gaps: list[tuple[float, float]] = []
        self.errors = 0
        self.first_error: str = ""
        self.next_index = 0  # one past the last index given out
        self.last_pts = 0.0
        self._first_pts: float | None = None
        self._damaged_from: float | None = None

    def _damage(self, exc: Exception) -> None:
        self.errors += 1
        self.first_error = self.first_error or ffmpeg_message(exc)
        if self._damaged_from is None:
            self._damaged_from = self.last_pts + 1.0 / self.fps if self.next_index else 0.0

    def frames(self, container, stream):
        for decoded in decoded_packets(container, stream, self._damage):
            for frame in decoded:
                pts = _seconds(frame)
                if self._damaged_from is not None:
                    if not frame.key_frame or pts is None:
                        continue
                    index = max(self.next_index, int(round((pts - (self._first_pts or 0.0)) * self.fps)))
                    self.gaps.append((round(self._damaged_from, 4), round(pts, 4)))
                    self._damaged_from = None
                else:
                    index = self.next_index
                if self._first_pts is None and pts is not None:
                    self._first_pts = pts
                self.last_pts = pts if pts is not None else index / self.fps
                self.next_index = index + 1
                yield index, frame

    def close(self, duration_s: float) -> list[tuple[float, float]]:
        """The gaps, with a damaged stretch that ran to the end of the stream as the last one, and
        so a stream that stops short of its declared duration (a file cut within the tolerance of
        the completeness check) by more than three frames: its tail is named, not passed over."""
        end = self.last_pts + 1.0 / self.fps
        if self._damaged_from is not None and self.next_index:
            self.gaps.append((round(self._damaged_from, 4), round(max(duration_s, self._damaged_from), 4)))
            self._damaged_from = None
        elif self.next_index and duration_s - end > max(3.0 / self.fps, 0.1):
            self.gaps.append((round(end, 4), round(duration_s, 4)))
        return list(self.gaps)


class AudioAroundDamage:
    """An audio stream resampled to mono float32, decoded around damaged packets: a packet the
    decoder rejects is skipped, and the time it covered is filled with silence up to the next good
    frame (so every later sample stays at its time) and recorded as a gap. Without damage this is
    exactly the plain decode-and-resample of every frame."""

    def __init__(self, sample_rate: int):
        self.sample_rate = sample_rate
        self.chunks: list[np.ndarray] = []
        self.produced = 0  # samples in chunks
        self.start_s: float | None = None
        self.gaps: list[tuple[float, float]] = []
        self._last = None  # the last good frame with a time (its end is read only when damage follows it)
        self.errors = 0
        self.first_error = ""
        self._damaged_from: float | None = None

    def _damage(self, exc: Exception) -> None:
        self.errors += 1
        self.first_error = self.first_error or ffmpeg_message(exc)
        if self._damaged_from is None:
            self._damaged_from = self.end_s

    @property
    def end_s(self) -> float:
        """The end of the last good frame, video time (0 before any)."""
        frame = self._last
        if frame is None:
            return 0.0
        return _seconds(frame) + frame.samples / frame.sample_rate

    def _resampler(self):
        import av

        return av.AudioResampler(format="flt", layout="mono", rate=self.sample_rate)

    def _emit(self, frames) -> None:
        for out in frames:
            chunk = out.to_ndarray().reshape(-1)
            self.chunks.append(chunk)
            self.produced += len(chunk)

    def run(self, container, stream) -> None:
        resampler = self._resampler()
        for decoded in decoded_packets(container, stream, self._damage):
            for frame in decoded:
                # A frame's time (a Fraction product, slow next to the resampling of ~1024 samples) is
                # computed for the first frame and after damage only; otherwise the frame is kept
                # and its end read if damage follows it.
                if self.start_s is None or self._damaged_from is not None:
                    pts = _seconds(frame)
                    if self.start_s is None and pts is not None:
                        self.start_s = pts
                    if self._damaged_from is not None and pts is not None:
                        # What the resampler holds, then silence up to this frame's time, then a fresh resampler.
                        self._emit(resampler.resample(None))
                        missing = int(round((pts - (self.start_s or 0.0)) * self.sample_rate)) - self.produced
                        if missing > 0:
                            self._emit_silence(missing)
                        self.gaps.append((round(self._damaged_from, 4), round(pts, 4)))
                        self._damaged_from = None
                        resampler = self._resampler()
                if frame.pts is not None and frame.sample_rate:
                    self._last = frame
                self._emit(resampler.resample(frame))
        self._emit(resampler.resample(None))

    def _emit_silence(self, n: int) -> None:
        self.chunks.append(np.zeros(n, np.float32))
        self.produced += n

    def close(self, duration_s: float) -> list[tuple[float, float]]:
        """The gaps, with damage that ran to the end of the stream as the last one."""
        if self._damaged_from is not None:
            self.gaps.append((round(self._damaged_from, 4), round(max(duration_s, self._damaged_from), 4)))
            self._damaged_from = None
        return list(self.gaps)
