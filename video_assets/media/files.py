"""Atomic reads and writes on one storage root: a local folder by default, any fsspec URL in production.

Every write goes to a temporary name beside the target and is renamed into place, so a reader (or a
run killed half-way) never sees a half-written file: either the old version or the new one.
"""

from __future__ import annotations

import fcntl
import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def _fs(url: str):
    import fsspec

    return fsspec.core.url_to_fs(url)


def join(root: str, *parts: str) -> str:
    return "/".join([root.rstrip("/"), *(p.strip("/") for p in parts)])


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temps(fs, path: str) -> list[str]:
    """Temp files of this target left by a killed writer (its pid is gone): remove them.
    Only on local storage, where the pid can be checked."""
    if "file" not in (fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)):
        return []
    removed = []
    for tmp in fs.glob(f"{path}.tmp-*"):
        pid = tmp.rsplit(".tmp-", 1)[-1].split("-", 1)[0]
        if pid.isdigit() and not _pid_alive(int(pid)):
            fs.rm(tmp)
            removed.append(tmp)
    return removed


def _commit_atomic(url: str, fill, before_commit=None) -> None:
    """``fill(fs, tmp)`` writes a temp name beside the target, which is then renamed into place.
    ``before_commit()`` runs between the two and may raise to abandon the write (the run-id fence
    of the I/O manager); an abandoned or failed write removes its temp file."""
    fs, path = _fs(url)
    parent = path.rsplit("/", 1)[0] if "/" in path else "."
    fs.makedirs(parent, exist_ok=True)
    remove_stale_temps(fs, path)
    tmp = f"{path}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        fill(fs, tmp)
        if before_commit is not None:
            before_commit()
        fs.mv(tmp, path)
    except BaseException:
        try:
            if fs.exists(tmp):
                fs.rm(tmp)
        finally:
            raise


def write_bytes_atomic(url: str, data: bytes, before_commit=None) -> None:
    """Write to a temp name, then rename into place (``_commit_atomic``)."""

    def fill(fs, tmp: str) -> None:
        with fs.open(tmp, "wb") as fh:
            fh.write(data)

    _commit_atomic(url, fill, before_commit)


def put_file_atomic(local: str, url: str, before_commit=None) -> None:
    """Move a finished local file (a decoding step's spool) to ``url`` the same way: to a temp name
    beside the target (a rename on the same disk, else a streamed copy), then renamed into place.
    The local file is gone afterwards, whether the move succeeded or not."""

    def fill(fs, tmp: str) -> None:
        if is_local(url):
            import shutil

            shutil.move(local, tmp)
        else:
            fs.put_file(local, tmp)

    try:
        _commit_atomic(url, fill, before_commit)
    finally:
        if os.path.exists(local):
            os.remove(local)


def read_bytes(url: str) -> bytes:
    fs, path = _fs(url)
    with fs.open(path, "rb") as fh:
        return fh.read()


def size(url: str) -> int | None:
    """The file's size in bytes; None when there is none."""
    fs, path = _fs(url)
    return int(fs.size(path)) if fs.exists(path) else None


def exists(url: str) -> bool:
    fs, path = _fs(url)
    return fs.exists(path)


def is_local(url: str) -> bool:
    return "://" not in url or url.startswith("file://")


@contextmanager
def exclusive(lock: str | os.PathLike) -> Iterator[None]:
    """One process at a time through ``lock`` (a file lock, on a local disk: writers of an index or
    a ledger take turns)."""
    Path(lock).parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
