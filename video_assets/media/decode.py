"""Decoding: a video's frames (once, streamed, threaded) and its audio track, with clear errors.

PyAV was kept after measuring it against decord and TorchCodec for this access pattern (every
frame decoded, a few hundred converted and resized); ``python -m benchmark.decode`` reproduces the
table in the README. PyAV also exposes the display matrix (rotation) and has no known hang on
truncated input, where decord (unmaintained since 2022) has reports upstream.

Memory stays bounded: frames are converted (and scaled by swscale inside FFmpeg) only when a plan
keeps them, then encoded at once; a full-resolution array never outlives one loop iteration.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Iterator

import numpy as np

from video_assets.media.frames import AUDIO_SAMPLE_RATE, AudioTrack, FrameBundle, VideoInfo
from video_assets.media.sampling import FramePlan, SamplingPlan, fit_long_side


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


def _upright(image: np.ndarray, rotation: int) -> np.ndarray:
    """Apply the display matrix: PyAV's rotation is counter-clockwise degrees, as np.rot90 turns."""
    k = (rotation // 90) % 4
    return np.ascontiguousarray(np.rot90(image, k)) if k else image


def decode_frames(
    source: str,
    plans: list[SamplingPlan],
    codec: str = "jpeg",
    quality: int = 95,
    threads: int = 0,
) -> FrameBundle:
    """Decode a video once and keep the frames the union of ``plans`` needs.

    threads: FFmpeg decoder threads (0 = one per core).
    Raises MediaError naming the file and the cause for anything unreadable or truncated.
    """
    import av

    t0 = time.perf_counter()
    check_complete(source)
    with open_container(source) as container:
        info = _probe_open(container, source)
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.thread_count = threads
        plan = FramePlan.union(plans, info.frame_count, info.fps)
        bundle = FrameBundle(info=info, plan_frame_count=info.frame_count, codec=codec)
        rotation = None
        decoded = 0
        last_pts = 0.0
        try:
            for index, frame in enumerate(container.decode(stream)):
                decoded += 1
                if frame.pts is not None and frame.time_base is not None:
                    last_pts = float(frame.pts * frame.time_base)
                else:
                    last_pts = index / info.fps
                if rotation is None:
                    rotation = int(frame.rotation or 0) % 360
                if index not in plan.sizes:
                    continue
                # Scale inside FFmpeg (swscale) before the frame becomes a numpy array.
                disp_w, disp_h = (frame.height, frame.width) if rotation in (90, 270) else (frame.width, frame.height)
                tw, th = fit_long_side(disp_w, disp_h, plan.sizes[index])
                cw, ch = (th, tw) if rotation in (90, 270) else (tw, th)
                rgb = frame.to_ndarray(format="rgb24", width=cw, height=ch, interpolation="AREA")
                bundle.add(index, last_pts, _upright(rgb, rotation), quality)
        except av.error.FFmpegError as exc:
            raise MediaError(source, f"decoding failed after {decoded} frames (~{last_pts:.2f} s): {exc}") from exc
    if decoded == 0:
        raise MediaError(source, "no decodable video frames (truncated or corrupt file)")
    decoded_span = decoded / info.fps
    if decoded_span < 0.9 * info.duration_s - 0.5:
        raise MediaError(
            source,
            f"truncated: decoded {decoded} frames ({decoded_span:.2f} s) of the declared "
            f"{info.duration_s:.2f} s",
        )
    rotation = rotation or 0
    width, height = (info.height, info.width) if rotation in (90, 270) else (info.width, info.height)
    bundle.info = VideoInfo(
        **{**info.__dict__, "rotation": rotation, "width": width, "height": height, "frame_count": decoded}
    )
    bundle.decode_seconds = time.perf_counter() - t0
    return bundle


def decode_audio(source: str, sample_rate: int = AUDIO_SAMPLE_RATE) -> AudioTrack:
    """The first audio stream as mono float32 at ``sample_rate``; sample 0 is t = 0 of the video.

    A video without an audio stream gives an empty track with has_audio=False (not an error).
    """
    import av

    t0 = time.perf_counter()
    check_complete(source)
    with open_container(source) as container:
        info = _probe_open(container, source)
        if not container.streams.audio:
            return AudioTrack(
                source=source, samples=np.zeros(0, np.float32), has_audio=False,
                sample_rate=sample_rate, video_duration_s=info.duration_s,
                decode_seconds=time.perf_counter() - t0,
            )
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
        chunks: list[np.ndarray] = []
        start_s: float | None = None
        try:
            for frame in container.decode(stream):
                if start_s is None and frame.pts is not None and frame.time_base is not None:
                    start_s = float(frame.pts * frame.time_base)
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
        except av.error.FFmpegError as exc:
            raise MediaError(source, f"audio decoding failed: {exc}") from exc
    samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    offset = int(round((start_s or 0.0) * sample_rate))
    if offset > 0:
        samples = np.concatenate([np.zeros(offset, np.float32), samples])
    elif offset < 0:
        samples = samples[-offset:]
    return AudioTrack(
        source=source, samples=samples, has_audio=True, sample_rate=sample_rate,
        video_duration_s=info.duration_s, decode_seconds=time.perf_counter() - t0,
    )
