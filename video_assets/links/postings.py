"""The inverted index: hash -> (video, time), on disk, append-friendly, looked up without a pass
over the corpus.

Layout (one folder per kind, ``sound`` or ``footage``, under a local storage folder)::

    manifest.json          runs in order, the videos each holds, removed videos
    run-000012/keys.npy    uint32 hash keys, sorted
               rows.npy    uint32 row of each posting in the run's ``items`` (a landmark or a frame)
               items.npz   per row: video (index into the run's videos), time, and the payload
                           the matcher verifies (footage: the 256-bit hashes)

Why sorted ``.npy`` runs and not Parquet or sqlite: a lookup is ``searchsorted`` on a memory-mapped
sorted key array (log2 N page touches per key, nothing else read), and adding a video writes one
small run. Runs are merged like a binary counter (a run is merged into the one before it while that
one is at most twice its size), so a posting is rewritten O(log N) times in all and a query visits
at most ~log2(videos) runs. Removing a video records it in the manifest (queries skip it at once);
the next merge drops its postings. Runs are immutable and the manifest is replaced atomically, so a
reader never sees half a write; writers take turns on a lock file.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

FENCE = 64

@dataclass
class Run:
    name: str
    videos: list[str]
    keys: np.ndarray
    rows: np.ndarray
    items: dict[str, np.ndarray]
    fence: np.ndarray  # keys[::FENCE], in memory: the binary search's first levels without touching the mapped keys

    @property
    def postings(self) -> int:
        return int(self.keys.size)


class PostingStore:
    """Sorted runs of (key -> item row); items carry ``video`` (run-local index), ``time`` and any
    payload columns. Not thread-safe within one process; safe across processes (lock + atomic manifest)."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(str(folder).removeprefix("file://"))
        self.folder.mkdir(parents=True, exist_ok=True)
        self._cache: dict[str, Run] = {}

    # -- manifest ---------------------------------------------------------------------------
    def manifest(self) -> dict:
        path = self.folder / "manifest.json"
        if not path.exists():
            return {"runs": [], "next": 0, "removed": {}}
        return json.loads(path.read_text())

    def _write_manifest(self, m: dict) -> None:
        tmp = self.folder / f".manifest.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(m, sort_keys=True))
        os.replace(tmp, self.folder / "manifest.json")

    @contextmanager
    def _turn(self) -> Iterator[None]:
        with open(self.folder / ".write.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def videos(self) -> dict[str, str]:
        """video -> the run that holds its live postings."""
        m = self.manifest()
        out = {}
        for r in m["runs"]:
            for v in r["videos"]:
                if m["removed"].get(v, -1) < r["seq"]:
                    out[v] = r["name"]
        return out

    # -- runs -----------------------------------------------------------------------------------
    def _load(self, name: str) -> Run:
        if name not in self._cache:
            d = self.folder / name
            meta = json.loads((d / "videos.json").read_text())
            with np.load(d / "items.npz") as z:
                items = {k: z[k] for k in z.files}
            keys = np.load(d / "keys.npy", mmap_mode="r")
            fence = np.load(d / "fence.npy") if (d / "fence.npy").exists() else np.ascontiguousarray(keys[::FENCE])
            self._cache[name] = Run(name, meta, keys, np.load(d / "rows.npy", mmap_mode="r"), items, fence)
        return self._cache[name]

    def _write_run(self, name: str, videos: list[str], keys: np.ndarray, rows: np.ndarray, items: dict[str, np.ndarray]) -> None:
        tmp = self.folder / f".{name}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        order = np.argsort(keys, kind="stable")
        sorted_keys = np.ascontiguousarray(keys[order], dtype=np.uint32)
        np.save(tmp / "keys.npy", sorted_keys)
        np.save(tmp / "fence.npy", np.ascontiguousarray(sorted_keys[::FENCE]))
        np.save(tmp / "rows.npy", np.ascontiguousarray(rows[order], dtype=np.uint32))
        np.savez(tmp / "items.npz", **items)
        (tmp / "videos.json").write_text(json.dumps(videos))
        os.replace(tmp, self.folder / name)

    def add(self, entries: list[tuple[str, np.ndarray, np.ndarray, dict[str, np.ndarray]]]) -> None:
        """Adds videos: (video, keys, row of each key in this video's items, items). A video already
        present is replaced (its old postings die at once)."""
        with self._turn():
            m = self.manifest()
            seq = m["next"]
            names, keys, rows, items = [], [], [], {}
            base = 0
            for vi, (video, k, r, it) in enumerate(entries):
                if video in self.videos():
                    m["removed"][video] = seq
                names.append(video)
                keys.append(np.asarray(k, np.uint32))
                rows.append(np.asarray(r, np.uint32) + base)
                n = len(it["time"])
                it = {**it, "video": np.full(n, vi, np.uint32)}
                for c, a in it.items():
                    items.setdefault(c, []).append(np.asarray(a))
                base += n
            name = f"run-{seq:09d}"
            self._write_run(name, names, np.concatenate(keys) if keys else np.zeros(0, np.uint32),
                            np.concatenate(rows) if rows else np.zeros(0, np.uint32),
                            {c: np.concatenate(a) for c, a in items.items()})
            m["runs"].append({"name": name, "seq": seq, "videos": names, "postings": int(sum(k.size for k in keys))})
            m["next"] = seq + 1
            self._merge(m)
            self._write_manifest(m)

    def remove(self, videos: list[str]) -> None:
        """Forgets videos: queries skip them from now on, the next merge drops their postings."""
        with self._turn():
            m = self.manifest()
            for v in videos:
                m["removed"][v] = m["next"]
            m["next"] += 1
            self._write_manifest(m)

    def _merge(self, m: dict) -> None:
        runs = m["runs"]
        while len(runs) >= 2 and runs[-2]["postings"] <= 2 * runs[-1]["postings"]:
            a, b = runs[-2], runs[-1]
            ra, rb = self._load(a["name"]), self._load(b["name"])
            names, keys, rows, items, base = [], [], [], {}, 0
            for meta, run in ((a, ra), (b, rb)):
                live = np.array([m["removed"].get(v, -1) < meta["seq"] for v in run.videos] + [False])
                remap = np.cumsum(live[:-1]) - 1 + len(names)
                names += [v for v, ok in zip(run.videos, live[:-1]) if ok]
                keep_item = live[run.items["video"]]
                new_row = np.cumsum(keep_item) - 1 + base
                k, r = np.asarray(run.keys), np.asarray(run.rows)
                alive = keep_item[r]
                keys.append(k[alive])
                rows.append(new_row[r[alive]])
                for c, arr in run.items.items():
                    arr = arr[keep_item]
                    items.setdefault(c, []).append(remap[arr].astype(np.uint32) if c == "video" else arr)
                base += int(keep_item.sum())
            name = b["name"].replace("run-", "run-m", 1) if not b["name"].startswith("run-m") else b["name"] + "m"
            self._write_run(name, names, np.concatenate(keys), np.concatenate(rows), {c: np.concatenate(v) for c, v in items.items()})
            seq = b["seq"]
            removed_here = {v for v in ra.videos + rb.videos if v not in names}
            for v in removed_here:  # purged: the record is no longer needed unless a later run holds v again
                if not any(v in r["videos"] for r in runs[:-2]):
                    m["removed"].pop(v, None)
            runs[-2:] = [{"name": name, "seq": seq, "videos": names, "postings": int(sum(k.size for k in keys))}]
            for old in (a["name"], b["name"]):
                self._cache.pop(old, None)
                shutil.rmtree(self.folder / old, ignore_errors=True)

    # -- lookup ---------------------------------------------------------------------------------
    def lookup(self, keys: np.ndarray) -> Iterator[tuple[Run, np.ndarray, np.ndarray, np.ndarray]]:
        """Per run: (run, index into ``keys`` of each hit, item row of each hit, live mask of the run's videos)."""
        m = self.manifest()
        keys = np.asarray(keys, np.uint32)
        # Sorted queries walk the memory-mapped keys in one direction (5x faster measured than
        # the same lookups in hash order at 300k keys).
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        for meta in m["runs"]:
            run = self._load(meta["name"])
            if run.postings == 0 or keys.size == 0:
                continue
            lo, hi = _search(run, keys, "left"), _search(run, keys, "right")
            cnt = hi - lo
            total = int(cnt.sum())
            if total == 0:
                continue
            q = np.repeat(np.arange(keys.size), cnt)
            starts = np.repeat(lo - np.concatenate(([0], np.cumsum(cnt)[:-1])), cnt)
            pos = starts + np.arange(total)
            live = np.array([m["removed"].get(v, -1) < meta["seq"] for v in run.videos], bool)
            yield run, order[q], np.asarray(run.rows[pos]), live

    def nbytes(self) -> int:
        return sum(f.stat().st_size for f in self.folder.rglob("*") if f.is_file())


def _search(run: Run, keys: np.ndarray, side: str) -> np.ndarray:
    """``np.searchsorted(run.keys, keys, side)``, the first levels in the in-memory fence and the
    last ``log2(FENCE)`` in the mapped keys, all keys a level at a time. Measured: 11 ms instead
    of 30 for 18,600 keys in 70 M (the plain search's cache misses on the mapped array)."""
    arr = np.asarray(run.keys)  # a plain view of the mapped file: no memmap wrapper per access
    n = arr.size
    i = np.searchsorted(run.fence, keys, side).astype(np.int64)
    lo = np.clip((i - 1) * FENCE, 0, n)
    hi = np.clip(i * FENCE, 0, n)
    right = side == "right"
    while True:
        act = lo < hi
        if not act.any():
            return lo
        mid = (lo + hi) >> 1
        v = arr[np.minimum(mid, n - 1)]
        go = act & ((v <= keys) if right else (v < keys))
        lo = np.where(go, mid + 1, lo)
        hi = np.where(act & ~go, mid, hi)
