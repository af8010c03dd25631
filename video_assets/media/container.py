"""Opening a video and what its container says: one error type for unusable input (``MediaError``,
naming the file and the cause), the probe, the completeness check every consumer runs, and the
length limits. Demuxing only, never decoding: cheap enough for every sensor tick.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from video_assets.media.frames import VideoInfo
from video_assets.runtime import settings


class MediaError(Exception):
    """A video that cannot be used. The message names the file and the cause."""

    def __init__(self, source: str, cause: str):
        super().__init__(f"{source}: {cause}")
        self.source = source
        self.cause = cause


def _is_local(source: str) -> bool:
    return "://" not in source or source.startswith("file://")


def _local_path(source: str) -> str:
    return source[len("file://") :] if source.startswith("file://") else source


@contextlib.contextmanager
def open_container(source: str) -> Iterator["object"]:
    """Open a video with PyAV, local path or any fsspec URL, mapping failures to MediaError."""
    import av

    handle = None
    try:
        if _is_local(source):
            path = Path(_local_path(source))
            if not path.exists():
                raise MediaError(source, "file not found")
            if path.stat().st_size == 0:
                raise MediaError(source, "file is empty (0 bytes)")
            target: object = str(path)
        else:
            import fsspec

            fs, fpath = fsspec.core.url_to_fs(source)
            if not fs.exists(fpath):
                raise MediaError(source, "file not found")
            if fs.size(fpath) == 0:
                raise MediaError(source, "file is empty (0 bytes)")
            handle = fs.open(fpath, "rb")
            target = handle
        try:
            container = av.open(target, mode="r", metadata_errors="ignore")
        except av.error.InvalidDataError as exc:
            raise MediaError(source, f"not a readable video file (FFmpeg: {exc.strerror or exc})") from exc
        except av.error.FFmpegError as exc:
            raise MediaError(source, f"cannot open container (FFmpeg: {exc})") from exc
        try:
            yield container
        finally:
            container.close()
    finally:
        if handle is not None:
            handle.close()


def _video_stream(container, source: str):
    if not container.streams.video:
        raise MediaError(source, "no video stream in the file")
    stream = container.streams.video[0]
    codec = stream.codec_context
    if codec is None or codec.codec is None or not codec.name or codec.name == "none":
        raise MediaError(source, f"unsupported video codec (tag {getattr(stream.codec_context, 'codec_tag', '?')!r}); FFmpeg has no decoder for it")
    return stream


def probe(source: str) -> VideoInfo:
    """Container-level facts, without decoding. Rotation needs one decoded frame (display matrix)."""
    with open_container(source) as container:
        return _probe_open(container, source)


@dataclass(frozen=True)
class VideoLimits:
    """The longest video a deployment takes (``VIDEO_ASSETS_MAX_DURATION_S``, ``VIDEO_ASSETS_MAX_FRAMES``).
    Memory no longer grows with length, but time and table sizes do, and a broken header can claim
    hours: such a video fails at once, naming the setting, instead of running for hours."""

    max_duration_s: float
    max_frames: int

    @classmethod
    def from_settings(cls) -> "VideoLimits":
        return cls(settings.max_duration_s(), settings.max_frames())

    def check(self, info: VideoInfo) -> VideoInfo:
        if info.duration_s > self.max_duration_s:
            raise MediaError(info.source, f"{info.duration_s:.1f} s long, over the limit of {self.max_duration_s:g} s "
                                          "(VIDEO_ASSETS_MAX_DURATION_S; raise it to analyze longer videos)")
        if info.frame_count > self.max_frames:
            raise MediaError(info.source, f"{info.frame_count} frames, over the limit of {self.max_frames} "
                                          "(VIDEO_ASSETS_MAX_FRAMES; raise it to analyze longer videos)")
        return info


def _probe_open(container, source: str) -> VideoInfo:
    stream = _video_stream(container, source)
    fps = float(stream.average_rate or stream.guessed_rate or 0)
    if stream.duration is not None and stream.time_base is not None:
        duration = float(stream.duration * stream.time_base)
    elif container.duration:
        duration = container.duration / 1_000_000
    else:
        duration = 0.0
    if fps <= 0 or not np.isfinite(fps):
        raise MediaError(source, "the video stream declares no frame rate")
    frames = int(stream.frames) if stream.frames else int(round(duration * fps))
    if frames <= 0:
        raise MediaError(source, "the video stream declares no frames or duration")
    return VideoInfo(
        source=source,
        duration_s=duration,
        fps=fps,
        width=stream.codec_context.width,
        height=stream.codec_context.height,
        rotation=0,
        frame_count=frames,
        codec=stream.codec_context.name,
        has_audio=bool(container.streams.audio),
    )


def _stream_seconds(stream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    return None


def check_complete(source: str) -> VideoInfo:
    """The one media validation every consumer runs (video_frames, audio_track, the corpus sensor):
    the container opens, has a decodable video stream, and every stream's packets reach its declared
    duration. Demuxing only (no decoding), so it is cheap enough for every sensor tick.

    A file cut short (a copy still in progress, a broken upload) usually keeps a header that declares
    the full duration; its packets stop early. Such a file fails here, with the same one-line
    cause for every asset of its partition, before any table can be written from part of it."""
    import av

    with open_container(source) as container:
        info = _probe_open(container, source)
        ends: dict[int, float] = {}
        try:
            for packet in container.demux():
                if packet.pts is None or packet.time_base is None:
                    continue
                end = float((packet.pts + (packet.duration or 0)) * packet.time_base)
                ends[packet.stream.index] = max(ends.get(packet.stream.index, 0.0), end)
        except av.error.FFmpegError as exc:
            reached = max(ends.values(), default=0.0)
            raise MediaError(source, f"container unreadable after {reached:.2f} s of the declared {info.duration_s:.2f} s: {exc}") from exc
        for stream in container.streams:
            if stream.type not in ("video", "audio"):
                continue
            if stream.type == "audio" and stream.index not in ends:
                continue  # an audio stream without a single packet: no sound to decode (decode_audio says so), not a cut
            declared = _stream_seconds(stream)
            if declared is None:
                if stream.type == "audio":
                    continue  # no duration of its own (some mkv/webm): it may end before the video, legitimately
                declared = info.duration_s
            start = float(stream.start_time * stream.time_base) if stream.start_time is not None and stream.time_base else 0.0
            reached = ends.get(stream.index, start) - start
            if reached < 0.9 * declared - 0.5:
                raise MediaError(source, f"truncated: the {stream.type} stream ends at {reached:.2f} s of the declared {declared:.2f} s")
    return info
