"""Decoding: a video's frames (once, streamed, threaded) and its audio track, with clear errors.

PyAV was kept after measuring it against decord and TorchCodec for this access pattern (every
frame decoded, a few hundred converted and resized); ``python -m benchmark.decode`` reproduces the
table in benchmark/results/README.md. PyAV also exposes the display matrix (rotation) and has no known hang on
truncated input, where decord (unmaintained since 2022) has reports upstream.

Memory stays bounded: frames are converted (and scaled by swscale inside FFmpeg) only when a plan
keeps them, then encoded at once; a full-resolution array never outlives one loop iteration. Given
a ``spool`` file, the encoded frames go to it a row group at a time (``media/framestore.py``), so a
long video costs decoding time, not memory. ``VideoLimits`` refuses a video longer than the
settings allow before any decoding, with a message naming the setting.

Damaged packets in the middle of a stream are decoded around (``media/gaps.py``): skipped to the
next keyframe (video) or the next good frame (audio, filled with silence), the stretch kept as a
gap on the bundle or track; only a stream with nothing decodable fails.
"""

from __future__ import annotations

import os
import time

import numpy as np

from video_assets.media.container import MediaError, VideoLimits, _probe_open, check_complete, open_container, probe
from video_assets.media.gaps import AudioAroundDamage, VideoAroundDamage
from video_assets.media.frames import AUDIO_SAMPLE_RATE, AudioTrack, FrameBundle, VideoInfo
from video_assets.media.images import encode_image
from video_assets.media.sampling import FramePlan, fit_long_side, SamplingPlan


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
    spool: str | None = None,
    limits: VideoLimits | None = None,
    batch: int | None = None,
) -> FrameBundle:
    """Decode a video once and keep the frames the union of ``plans`` needs.

    threads: FFmpeg decoder threads (0 = one per core). spool: a local file to write the frames to
    as they are decoded, ``batch`` frames a row group (the returned bundle reads them from there);
    without it the encoded frames stay in memory (short clips: tests, benchmarks). limits: default
    from the settings. Raises MediaError naming the file and the cause for anything unreadable,
    truncated or over the limits; a spool file is removed then.
    """
    import av

    from video_assets.media import framestore

    t0 = time.perf_counter()
    (limits or VideoLimits.from_settings()).check(probe(source))
    check_complete(source)
    writer = framestore.FrameWriter(spool, codec, batch) if spool else None
    try:
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
            walk = VideoAroundDamage(info.fps)
            try:
                for index, frame in walk.frames(container, stream):
                    decoded += 1
                    last_pts = walk.last_pts
                    if rotation is None:
                        rotation = int(frame.rotation or 0) % 360
                    if index not in plan.sizes:
                        continue
                    # Scale inside FFmpeg (swscale) before the frame becomes a numpy array.
                    disp_w, disp_h = (frame.height, frame.width) if rotation in (90, 270) else (frame.width, frame.height)
                    tw, th = fit_long_side(disp_w, disp_h, plan.sizes[index])
                    cw, ch = (th, tw) if rotation in (90, 270) else (tw, th)
                    image = _upright(frame.to_ndarray(format="rgb24", width=cw, height=ch, interpolation="AREA"), rotation)
                    if writer is None:
                        bundle.add(index, last_pts, image, quality)
                    else:
                        writer.add(index, last_pts, int(image.shape[1]), int(image.shape[0]), encode_image(image, codec, quality))
            except av.error.FFmpegError as exc:  # the container itself, not a packet: nothing to decode around
                raise MediaError(source, f"decoding failed after {decoded} frames (~{last_pts:.2f} s): {exc}") from exc
        if decoded == 0:
            cause = f" ({walk.errors} damaged packets; FFmpeg: {walk.first_error})" if walk.errors else ""
            raise MediaError(source, f"no decodable video frames (truncated or corrupt file){cause}")
        gaps = walk.close(info.duration_s)
        decoded_span = decoded / info.fps
        if not gaps and decoded_span < 0.9 * info.duration_s - 0.5:
            raise MediaError(
                source,
                f"truncated: decoded {decoded} frames ({decoded_span:.2f} s) of the declared "
                f"{info.duration_s:.2f} s",
            )
        bundle.gaps = gaps
        rotation = rotation or 0
        width, height = (info.height, info.width) if rotation in (90, 270) else (info.width, info.height)
        bundle.info = VideoInfo(
            **{**info.__dict__, "rotation": rotation, "width": width, "height": height, "frame_count": walk.next_index}
        )
        bundle.decode_seconds = time.perf_counter() - t0
        if writer is None:
            return bundle
        writer.close(framestore.bundle_meta(bundle, writer.data_bytes))
        writer = None
        stored = framestore.open_bundle(spool)
        stored.spool = spool
        return stored
    except BaseException:
        if writer is not None:
            writer.abort()
        if spool and os.path.exists(spool):
            os.remove(spool)
        raise


def decode_audio(source: str, sample_rate: int = AUDIO_SAMPLE_RATE, limits: VideoLimits | None = None) -> AudioTrack:
    """The first audio stream as mono float32 at ``sample_rate``; sample 0 is t = 0 of the video.

    A video without an audio stream, or with one that holds no packet, gives an empty track with
    has_audio=False (not an error). Damaged packets are decoded around (silence, and a gap).
    """
    import av

    t0 = time.perf_counter()
    (limits or VideoLimits.from_settings()).check(probe(source))
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
        walk = AudioAroundDamage(sample_rate)
        try:
            walk.run(container, stream)
        except av.error.FFmpegError as exc:  # the container itself, not a packet
            raise MediaError(source, f"audio decoding failed: {exc}") from exc
    chunks, start_s = walk.chunks, walk.start_s
    if walk.errors and not chunks:
        raise MediaError(source, f"no decodable audio ({walk.errors} damaged packets; FFmpeg: {walk.first_error})")
    samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    offset = int(round((start_s or 0.0) * sample_rate))
    if offset > 0:
        samples = np.concatenate([np.zeros(offset, np.float32), samples])
    elif offset < 0:
        samples = samples[-offset:]
    return AudioTrack(
        source=source, samples=samples, has_audio=bool(chunks), sample_rate=sample_rate,
        video_duration_s=info.duration_s, decode_seconds=time.perf_counter() - t0, gaps=walk.close(info.duration_s),
    )
