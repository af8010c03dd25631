"""Stored frames as a stream: one Parquet file per video, written row group by row group while the
video decodes, and read back one row group at a time.

A row group holds ``frame_batch()`` frames (``VIDEO_ASSETS_FRAME_BATCH``, default 32: about 4 MB
of JPEG at 1080x1920). The index columns (source index, time, size: a few bytes a frame) are read
whole; the image bytes stay on disk until a reader reaches their row group, and only that row group
is held. So neither the decoding step nor an analyzer holds more than one batch of encoded frames,
whatever the video's length, and the batch size changes nothing but memory: the same frames, in the
same order, whichever row group they sit in.

The video's properties travel in the file's key-value metadata (``video_assets``), written last,
when decoding has seen every frame: among them ``gaps``, the damaged stretches decoded around
(``[[start_s, end_s], ...]``, empty for an undamaged video).
"""

from __future__ import annotations

import io
import json
import os
import uuid
from dataclasses import asdict
from typing import Any, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from video_assets.media.frames import FrameBundle, VideoInfo
from video_assets.media.gaps import normalized
from video_assets.runtime import settings

FRAMES_SCHEMA = pa.schema(
    [
        pa.field("source_index", pa.int32(), nullable=False),
        pa.field("pts_s", pa.float64(), nullable=False),
        pa.field("width", pa.int32(), nullable=False),
        pa.field("height", pa.int32(), nullable=False),
        pa.field("data", pa.binary(), nullable=False),
    ]
)
META_KEY = b"video_assets"


def frame_batch() -> int:
    """Frames per row group: what one reader or writer holds at a time."""
    value = int(settings.env("VIDEO_ASSETS_FRAME_BATCH", "32"))
    if value < 1:
        raise ValueError(f"VIDEO_ASSETS_FRAME_BATCH must be >= 1, not {value}")
    return value


def _open_binary(source: str | bytes):
    if isinstance(source, (bytes, bytearray, memoryview)):
        return io.BytesIO(source)
    import fsspec

    fs, path = fsspec.core.url_to_fs(source)
    return fs.open(path, "rb")


class StoredFrames(Sequence[bytes]):
    """The ``data`` column of a stored bundle: ``blobs[i]`` reads the row group that holds frame
    ``i`` (and keeps that one row group until a reader moves on). ``source``: a path or fsspec URL,
    or the file's bytes. Pickles as its source (a Ray actor reads the file itself)."""

    def __init__(self, source: str | bytes, group_starts: list[int], count: int):
        self.source = source
        self.group_starts = group_starts  # first frame of each row group
        self.count = count
        self._file = None
        self._group = -1
        self._rows: Any = None

    def __len__(self) -> int:
        return self.count

    def _group_of(self, i: int) -> int:
        import bisect

        return bisect.bisect_right(self.group_starts, i) - 1

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self.count))]
        if i < 0:
            i += self.count
        if not 0 <= i < self.count:
            raise IndexError(i)
        group = self._group_of(i)
        if group != self._group:
            if self._file is None:
                self._file = pq.ParquetFile(_open_binary(self.source))
            self._rows = None  # let the previous row group go before the next is read
            self._rows = self._file.read_row_group(group, columns=["data"]).column(0)
            self._group = group
        return self._rows[i - self.group_starts[group]].as_py()

    def release(self) -> None:
        """Drop the held row group and the open file (a long-lived bundle between uses)."""
        self._file, self._rows, self._group = None, None, -1

    def __getstate__(self) -> dict:
        return {"source": self.source, "group_starts": self.group_starts, "count": self.count}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["source"], state["group_starts"], state["count"])


class FrameWriter:
    """Writes frames as they are decoded: a row group each ``batch`` frames, the video's properties
    at the end (``close``). ``sink``: a local path or a binary file object."""

    def __init__(self, sink: Any, codec: str, batch: int | None = None):
        self.codec = codec
        self.batch = batch or frame_batch()
        # Images are already compressed; Parquet compression would only cost time.
        self._writer = pq.ParquetWriter(sink, FRAMES_SCHEMA, compression="none" if codec != "raw" else "zstd")
        self._rows: dict[str, list] = {name: [] for name in FRAMES_SCHEMA.names}
        self.count = 0
        self.data_bytes = 0

    def add(self, source_index: int, pts_s: float, width: int, height: int, data: bytes) -> None:
        for name, value in zip(FRAMES_SCHEMA.names, (source_index, pts_s, width, height, data)):
            self._rows[name].append(value)
        self.count += 1
        self.data_bytes += len(data)
        if len(self._rows["data"]) >= self.batch:
            self._flush()

    def _flush(self) -> None:
        if not self._rows["data"]:
            return
        self._writer.write_table(pa.table(self._rows, schema=FRAMES_SCHEMA), row_group_size=self.batch)
        self._rows = {name: [] for name in FRAMES_SCHEMA.names}

    def close(self, meta: dict) -> None:
        self._flush()
        self._writer.add_key_value_metadata({META_KEY: json.dumps(meta)})
        self._writer.close()

    def abort(self) -> None:
        try:
            self._writer.close()
        except Exception:
            pass


def bundle_meta(bundle: Any, data_bytes: int) -> dict:
    return {"info": asdict(bundle.info), "plan_frame_count": bundle.plan_frame_count, "codec": bundle.codec,
            "decode_seconds": bundle.decode_seconds, "data_bytes": data_bytes, "gaps": list(bundle.gaps)}


def write_bundle(bundle: Any, sink: Any, batch: int | None = None) -> None:
    """Any bundle (in memory or stored) to ``sink`` in row groups, one frame's bytes at a time."""
    writer = FrameWriter(sink, bundle.codec, batch)
    for i in range(len(bundle)):
        w, h = bundle.sizes[i]
        writer.add(bundle.source_index[i], bundle.pts_s[i], w, h, bundle.data[i])
    writer.close(bundle_meta(bundle, writer.data_bytes))


def bundle_bytes(bundle: Any) -> bytes:
    """A bundle as the bytes of one frames file (benchmark inputs, the I/O manager)."""
    sink = io.BytesIO()
    write_bundle(bundle, sink)
    return sink.getvalue()


def open_bundle(source: str | bytes) -> FrameBundle:
    """A stored bundle (path, URL or bytes) with its index columns read and its images left stored."""

    with _open_binary(source) as fh:
        pf = pq.ParquetFile(fh)
        kv = pf.metadata.metadata or {}
        if META_KEY not in kv:
            raise ValueError(f"{source if isinstance(source, str) else 'frames'}: not a video_frames file (no video_assets metadata)")
        meta = json.loads(kv[META_KEY])
        cols = pf.read(columns=["source_index", "pts_s", "width", "height"]).to_pydict()
        starts = list(np.cumsum([0] + [pf.metadata.row_group(g).num_rows for g in range(pf.metadata.num_row_groups)])[:-1])
    count = len(cols["source_index"])
    blobs = StoredFrames(source, [int(s) for s in starts], count)
    return FrameBundle(
        info=VideoInfo(**meta["info"]), plan_frame_count=meta["plan_frame_count"], codec=meta["codec"],
        source_index=cols["source_index"], pts_s=cols["pts_s"], sizes=list(zip(cols["width"], cols["height"])),
        data=blobs, decode_seconds=meta.get("decode_seconds", 0.0), stored_bytes=meta.get("data_bytes"),
        gaps=normalized(meta.get("gaps")),
    )


# -- the spool: where a decoding step writes before the I/O manager moves the file into storage ----
def spool_dir() -> str:
    return settings.env("VIDEO_ASSETS_SPOOL", os.path.join(__import__("tempfile").gettempdir(), "video-assets-spool"))


def spool_path(label: str) -> str:
    """A fresh local file for one decoding step; files of dead writers are removed first."""
    from video_assets.media.files import _pid_alive

    folder = spool_dir()
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        pid = name.rsplit(".", 2)[0].rsplit("-", 2)[-2] if name.count("-") >= 2 else ""
        if pid.isdigit() and not _pid_alive(int(pid)):
            try:
                os.remove(os.path.join(folder, name))
            except OSError:
                pass
    safe = "".join(c if c.isalnum() or c in "_-" else "_" for c in label)[:80]
    return os.path.join(folder, f"{safe}-{os.getpid()}-{uuid.uuid4().hex[:8]}.frames.parquet")

