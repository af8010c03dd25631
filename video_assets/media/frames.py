"""Stored frames and audio: the records the shared assets produce, and their on-disk formats.

Frames are stored as one Parquet file per video: a row per kept frame (source index, time, size,
encoded image) in row groups written and read one at a time, the video's properties in the file
metadata (``media/framestore.py``). JPEG at quality 95 was chosen by measurement (``python -m
benchmark.decode``; benchmark/results/README.md): a quarter of PNG's bytes and 1/18 of raw RGB's, 44.6 dB PSNR,
encoding 14 times faster than PNG; ``raw`` and ``png`` remain (``VIDEO_ASSETS_FRAME_CODEC``).

Audio is one ``.npz`` per video: float32 samples at 16 kHz mono and the ``has_audio`` flag. At
64 kB per second it is small next to the frames, and reads back without a decoder.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass, field, replace
from typing import Iterator, Sequence

import numpy as np

from video_assets.media.gaps import in_gap, normalized
from video_assets.media.images import decode_image, decode_jpeg_gray, encode_image, gray_of, resize_to
from video_assets.media.sampling import SamplingPlan, fit_long_side


@dataclass(frozen=True)
class VideoInfo:
    """What the container and decoder said about a video. Width/height are as displayed (rotation applied)."""

    source: str
    duration_s: float
    fps: float
    width: int
    height: int
    rotation: int
    frame_count: int
    codec: str
    has_audio: bool


def luma(image: np.ndarray) -> np.ndarray:
    """ITU-R BT.601 luma of an RGB uint8 image, float32 in [0, 255] (scene cuts, caption contrast)."""
    return image[..., 0] * np.float32(0.299) + image[..., 1] * np.float32(0.587) + image[..., 2] * np.float32(0.114)


class Frame:
    """One frame of a plan: ``image`` is uint8 RGB of shape (height, width, 3), upright.

    A frame streamed from a bundle is decoded when ``image`` is first asked for, not before: the
    caption follower looks at every sample and reads few, and it asks only for ``gray``, which a
    JPEG decodes straight at a half, quarter or eighth of its stored size (a 1080x1920 sample as
    the 540x960 grey image of the change tests in a third of a full colour decode's time). ``gray``
    is always made from the stored bytes when there are any, never from a decoded ``image``, so it
    does not depend on what was asked first."""

    __slots__ = ("source_index", "pts_s", "size", "_image", "_load", "_data", "__weakref__")  # weakref: the memory test counts live frames

    def __init__(self, source_index: int, pts_s: float, image: np.ndarray | None = None, *, size: tuple[int, int] | None = None,
                 load=None, data: tuple[bytes, str, int, int] | None = None):
        if image is None and load is None:
            raise ValueError("a Frame needs its image or a way to load it")
        self.source_index, self.pts_s = source_index, pts_s
        self.size = size if size is not None else (int(image.shape[1]), int(image.shape[0]))  # (width, height)
        self._image, self._load, self._data = image, load, data  # data: (encoded bytes, codec, stored width, stored height)

    @property
    def image(self) -> np.ndarray:
        if self._image is None:
            self._image, self._load = self._load(), None
        return self._image

    def gray(self, size: tuple[int, int]) -> np.ndarray:
        """The frame in grey at ``size`` (w, h): a stored JPEG straight from its bytes, else from ``image``."""
        if self._data is not None and self._data[1] == "jpeg":
            return decode_jpeg_gray(self._data[0], self._data[2], size)
        return gray_of(self.image, size)


@dataclass
class FrameBundle:
    """The frames kept for one video, with the frame count the sampling plans were resolved against.

    ``data`` holds the encoded images: a list (decoded in memory: tests, benchmarks) or
    ``framestore.StoredFrames`` (a stored file, read one row group at a time; ``framestore`` writes
    and opens bundles, this module knows nothing of storage). Analyzers stream
    their plan's frames with :meth:`frames` / :meth:`segments`, which decode one frame at a time,
    so memory does not grow with the video's length. ``spool``: the local file a decoding step
    wrote, for the I/O manager to move into storage."""

    info: VideoInfo
    plan_frame_count: int
    codec: str
    source_index: list[int] = field(default_factory=list)
    pts_s: list[float] = field(default_factory=list)
    sizes: list[tuple[int, int]] = field(default_factory=list)  # (width, height)
    data: Sequence[bytes] = field(default_factory=list)
    decode_seconds: float = 0.0
    stored_bytes: int | None = None
    spool: str | None = None
    gaps: list[tuple[float, float]] = field(default_factory=list)  # damaged stretches decoded around (media/gaps.py)

    def __len__(self) -> int:
        return len(self.source_index)

    @property
    def nbytes(self) -> int:
        return self.stored_bytes if self.stored_bytes is not None else sum(len(d) for d in self.data)

    def add(self, source_index: int, pts_s: float, image: np.ndarray, quality: int = 95) -> None:
        self.source_index.append(int(source_index))
        self.pts_s.append(float(pts_s))
        self.sizes.append((int(image.shape[1]), int(image.shape[0])))
        self.data.append(encode_image(image, self.codec, quality))  # type: ignore[attr-defined]

    def image(self, i: int) -> np.ndarray:
        w, h = self.sizes[i]
        return decode_image(self.data[i], self.codec, w, h)

    def trimmed(self, seconds: float) -> "FrameBundle":
        """The first ``seconds`` of the video, as if it had been that long (same plans, same frames):
        benchmarks bound a slow baseline so, without changing what each frame costs."""
        count = min(self.plan_frame_count, max(1, int(round(seconds * self.info.fps))))
        keep = [i for i, idx in enumerate(self.source_index) if idx < count]
        info = VideoInfo(**{**asdict(self.info), "duration_s": min(self.info.duration_s, count / self.info.fps), "frame_count": count})
        return FrameBundle(
            info=info, plan_frame_count=count, codec=self.codec,
            source_index=[self.source_index[i] for i in keep], pts_s=[self.pts_s[i] for i in keep],
            sizes=[self.sizes[i] for i in keep], data=[self.data[i] for i in keep], decode_seconds=self.decode_seconds,
            gaps=[(a, min(b, info.duration_s)) for a, b in self.gaps if a < info.duration_s],
        )

    def positions(self, plan: SamplingPlan) -> list[tuple[int, int]]:
        """(source index, position in this bundle) of the plan's frames, ascending. Raises if the
        bundle was stored under a different set of plans (then ``video_frames`` is stale and must be
        re-materialized: its code version includes the plans' fingerprint). A frame inside a decode
        gap is not missing: the damage took it, and the plan gets the frames around it."""
        wanted = plan.indices(self.plan_frame_count, self.info.fps)
        where = {idx: i for i, idx in enumerate(self.source_index)}
        fps = self.info.fps
        missing = [idx for idx in wanted if idx not in where and idx < self.info.frame_count
                   and not in_gap(idx / fps, self.gaps, slack=0.5 / fps)]
        if missing:
            raise LookupError(f"{self.info.source}: stored frames lack {len(missing)} frame(s) that plan '{plan.name}' "
                              f"needs (first: {missing[:5]}); re-materialize video_frames")
        return [(idx, where[idx]) for idx in wanted if idx in where]

    def frames(self, plan: SamplingPlan, *more: SamplingPlan) -> Iterator[Frame]:
        """The frames of one analyzer's plan (with ``more``: of several, merged, each frame once at the
        largest size they ask), in time order, each decoded and resized only when the consumer asks
        for it: one frame at a time in memory, whatever the length."""
        sides: dict[tuple[int, int], int | None] = {}
        for p in (plan, *more):
            for key in self.positions(p):
                sides[key] = None if p.max_side is None or (key in sides and sides[key] is None) else max(sides.get(key) or 0, p.max_side)
        for idx, i in sorted(sides):
            w, h = self.sizes[i]
            side, data = sides[(idx, i)], self.data[i]
            yield Frame(idx, self.pts_s[i], size=fit_long_side(w, h, side), data=(data, self.codec, w, h),
                        load=lambda data=data, w=w, h=h, side=side: resize_to(decode_image(data, self.codec, w, h), side))

    def select(self, plan: SamplingPlan) -> list[Frame]:
        """All of a plan's frames at once: for tests and benchmarks on short clips (cores stream)."""
        return list(self.frames(plan))

    def segments(self, plan: SamplingPlan) -> Iterator[tuple[float, float, list[Frame]]]:
        """For segment plans: (start_s, end_s, frames) per segment, one segment in memory at a time
        (a frame two segments share, the clamped last one, is decoded once)."""
        stream = self.frames(plan)
        held: dict[int, Frame] = {}
        last = -1
        for start, end, idx in plan.segments(self.plan_frame_count, self.info.fps):
            for i in idx:
                while last < i:
                    frame = next(stream, None)
                    if frame is None:
                        last = 1 << 62
                        break
                    held[frame.source_index] = frame
                    last = frame.source_index
            frames = [held[i] for i in idx if i in held]
            top = max(idx, default=-1)
            held = {k: v for k, v in held.items() if k >= top}
            yield start, end, frames

    def contact_sheet(self, columns: int = 4, rows: int = 3, thumb_width: int = 135) -> bytes:
        """A JPEG grid of evenly spaced thumbnails with their timestamps, small enough for the UI.

        JPEG, not PNG: thumbnails of video are photographs; an optimized PNG of the sheet took 0.6
        CPU-s a video and 500 KB (inlined in every ``video_frames`` materialization event), JPEG
        at quality 85 2 ms and 76 KB (a sample clip, 2 cores)."""
        from PIL import Image, ImageDraw

        if not self.data:
            return b""
        n = min(len(self.data), columns * rows)
        picks = np.linspace(0, len(self.data) - 1, n).round().astype(int)
        w0, h0 = self.sizes[0]
        th = int(round(thumb_width * h0 / w0))
        sheet = Image.new("RGB", (columns * thumb_width, int(np.ceil(n / columns)) * th), (20, 20, 20))
        draw = ImageDraw.Draw(sheet)
        for k, i in enumerate(picks):
            thumb = Image.fromarray(self.image(int(i))).resize((thumb_width, th), Image.Resampling.BILINEAR)
            x, y = (k % columns) * thumb_width, (k // columns) * th
            sheet.paste(thumb, (x, y))
            draw.text((x + 4, y + 4), f"{self.pts_s[i]:.1f}s", fill=(255, 255, 0))
        out = io.BytesIO()
        sheet.save(out, format="JPEG", quality=85)
        return out.getvalue()


def duration_of(inputs: "FrameBundle | AudioTrack") -> float:
    """The video's duration from either shared input."""
    info = getattr(inputs, "info", None)
    return float(info.duration_s) if info is not None else float(inputs.video_duration_s)


AUDIO_SAMPLE_RATE = 16_000


@dataclass
class AudioTrack:
    """16 kHz mono float32 PCM. samples: shape (n,), in [-1, 1]. Empty with has_audio=False when
    the video has no audio stream: downstream reports "no audio" instead of failing."""

    source: str
    samples: np.ndarray
    has_audio: bool
    sample_rate: int = AUDIO_SAMPLE_RATE
    video_duration_s: float = 0.0
    decode_seconds: float = 0.0
    gaps: list[tuple[float, float]] = field(default_factory=list)  # damaged stretches, silent here (media/gaps.py)

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate

    def trimmed(self, seconds: float) -> "AudioTrack":
        n = int(round(seconds * self.sample_rate))
        return replace(self, samples=self.samples[:n], video_duration_s=min(self.video_duration_s, seconds))

    def window(self, start: float, end: float) -> "AudioTrack":
        """The track between start and end seconds, as a track of its own (time 0 at start)."""
        a, b = int(max(start, 0.0) * self.sample_rate), int(end * self.sample_rate)
        return replace(self, source=f"{self.source}[{start:.1f}-{end:.1f}]", samples=self.samples[a:b], video_duration_s=(b - a) / self.sample_rate)

    def to_npz_bytes(self) -> bytes:
        out = io.BytesIO()
        np.savez(
            out,
            samples=self.samples.astype(np.float32, copy=False),
            meta=np.frombuffer(
                json.dumps(
                    {
                        "source": self.source,
                        "has_audio": self.has_audio,
                        "sample_rate": self.sample_rate,
                        "video_duration_s": self.video_duration_s,
                        "decode_seconds": self.decode_seconds,
                        "gaps": self.gaps,
                    }
                ).encode(),
                dtype=np.uint8,
            ),
        )
        return out.getvalue()

    @classmethod
    def from_npz_bytes(cls, payload: bytes) -> "AudioTrack":
        with np.load(io.BytesIO(payload)) as z:
            meta = json.loads(z["meta"].tobytes())
            meta["gaps"] = normalized(meta.get("gaps"))
            return cls(samples=z["samples"], **meta)
