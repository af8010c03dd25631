"""The corpus: which videos exist under a root (local folder or any fsspec URL), their partition
keys, content hashes, and whether a file has stopped changing.

Partition keys are a pure function of the file's path relative to the root, so any process (the
sensor, an asset, the CLI) derives the same key without a shared registry:

* a file at the root whose stem is already clean (``[a-z0-9_-]``, lower case) and whose extension
  is ``.mp4`` keeps its stem: ``7301234567.mp4`` -> ``7301234567``;
* anything else is sanitized and gets 6 hex digits of the relative path's hash, so keys never
  collide and never change when other files come and go: ``Trip/My Clip.MOV`` -> ``trip__my_clip-3fa2b1``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

VIDEO_EXTENSIONS = (".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi")
# Names that writers give a file while it is still arriving (browsers, rsync, gsutil, upload tools);
# hidden and "~" files too. Such a file is never a partition, whatever its extension.
TEMP_MARKERS = (".part", ".tmp", ".crdownload", ".partial", ".download", ".filepart", ".gstmp", ".upload", ".incomplete")


def is_temp_name(name: str) -> bool:
    lower = name.lower()
    return lower.startswith((".", "~")) or any(marker in lower for marker in TEMP_MARKERS)
_CLEAN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True)
class VideoFile:
    """A video in the corpus. url: what the decoder opens; rel_path: relative to the corpus root."""

    key: str
    url: str
    rel_path: str
    size: int
    mtime: float


def partition_key(rel_path: str) -> str:
    rel_path = rel_path.replace("\\", "/").lstrip("/")
    stem, dot, ext = rel_path.rpartition(".")
    if not dot:
        stem, ext = rel_path, ""
    if "/" not in stem and ext == "mp4" and _CLEAN.match(stem) and len(stem) <= 120:
        return stem
    clean = re.sub(r"[^a-z0-9]+", "_", stem.lower()).strip("_")[:100] or "video"
    digest = hashlib.sha1(rel_path.encode()).hexdigest()[:6]
    return f"{clean}-{digest}"


def _fs(root: str):
    import fsspec

    return fsspec.core.url_to_fs(root)


def _mtime(info: dict) -> float:
    for name in ("mtime", "LastModified", "last_modified", "updated", "created"):
        value = info.get(name)
        if value is None:
            continue
        if hasattr(value, "timestamp"):
            return float(value.timestamp())
        try:
            return float(value)
        except (TypeError, ValueError):
            continue
    return 0.0


def scan(root: str) -> list[VideoFile]:
    """Every video file below root, sorted by key. Hidden files and temp names are skipped."""
    fs, base = _fs(root)
    if not fs.exists(base):
        raise FileNotFoundError(f"corpus root {root!r} does not exist (set VIDEO_ASSETS_CORPUS)")
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    base = base.rstrip("/")
    found: dict[str, VideoFile] = {}
    for path, info in fs.find(base, detail=True).items():
        rel = path[len(base) :].lstrip("/")
        name = rel.rsplit("/", 1)[-1]
        if is_temp_name(name) or not name.lower().endswith(VIDEO_EXTENSIONS):
            continue
        url = path if protocol in ("file", "local") else f"{protocol}://{path}"
        video = VideoFile(
            key=partition_key(rel), url=url, rel_path=rel, size=int(info.get("size") or 0), mtime=_mtime(info)
        )
        if video.key in found:  # only possible on a 6-hex-digit hash collision
            raise ValueError(f"partition key collision: {found[video.key].rel_path!r} and {rel!r}")
        found[video.key] = video
    return [found[k] for k in sorted(found)]


def find(root: str, key: str) -> VideoFile:
    """The file behind a partition key; a clear error if it was deleted or renamed."""
    for video in scan(root):
        if video.key == key:
            return video
    raise FileNotFoundError(
        f"partition {key!r}: no video with that key under corpus root {root!r} "
        "(deleted or renamed since the partition was added?)"
    )


def content_hash(url: str, chunk: int = 1 << 20) -> str:
    """sha256 of the file's bytes: the data version of a video."""
    import fsspec

    digest = hashlib.sha256()
    with fsspec.open(url, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Seen:
    """What the sensor remembers of a file between ticks."""

    size: int
    mtime: float
    sha256: str | None = None  # set once the file was stable and hashed
    since: float = 0.0  # when size and mtime were last seen to change (or first seen)


def quiet_since(video: VideoFile, previous: Seen | None, now: float) -> float:
    """Since when the file has not changed: its mtime where the store has one, else the tick that
    first saw its present size."""
    if video.mtime > 0:
        return video.mtime
    if previous is not None and (previous.size, previous.mtime) == (video.size, video.mtime) and previous.since:
        return previous.since
    return now


def is_stable(video: VideoFile, previous: Seen | None, now: float, settle_seconds: float) -> bool:
    """A file is stable when it has not changed for ``settle_seconds``. An upload that pauses (a
    camera, rsync, a browser) looks unchanged from one tick to the next, so the settle time, not
    one quiet tick, is what guards against partial bytes."""
    return now - quiet_since(video, previous, now) >= settle_seconds
