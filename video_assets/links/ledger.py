"""The corpus' links kept up to date one video at a time, in one local folder.

Per kind (``sound``, ``footage``) the ledger holds the inverted index (``SoundIndex`` /
``FootageIndex``), which fingerprint (its ``digest``) each video was indexed with, and every match
found so far (``matches.parquet``). ``sync`` takes only what changed: a new video is looked up in the
index (every video indexed before it) and then added; a video whose fingerprint changed is taken
out with its matches and added again; a video gone from the corpus is taken out with every match
that names it. Adding one video therefore costs one lookup, never a pass over the corpus, and
leaves every other video's matches as they were.

Crash safety: the index is written first, the ledger file last (each replaced atomically). A video
the index holds but the ledger does not name (a sync that died between the two) is taken out of
the index and added again on the next sync. One sync at a time (a lock file): two runs never
interleave their writes."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from video_assets.links.groups import MATCHES_SCHEMA, build, matches_table
from video_assets.links.match import FootageIndex, Match
from video_assets.links.sound_index import SoundIndex, note_partners
from video_assets.media import files

KINDS = ("sound", "footage")
# Which match kinds each fingerprint kind finds.
_FOUND = {"sound": ("sound",), "footage": ("reupload", "shared_footage")}


@dataclass
class Sync:
    """What one ``sync`` did, per kind: videos added (new or changed), removed, matches found."""

    added: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in KINDS})
    removed: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in KINDS})
    found: dict[str, int] = field(default_factory=lambda: {k: 0 for k in KINDS})
    lookup_s: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})


class Ledger:
    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(str(folder).removeprefix("file://"))
        self.folder.mkdir(parents=True, exist_ok=True)
        self.index = {"sound": SoundIndex(self.folder / "sound"), "footage": FootageIndex(self.folder / "footage")}

    # -- what is stored ---------------------------------------------------------------------
    def state(self) -> dict[str, dict[str, str]]:
        """kind -> video -> the digest of the fingerprint it is indexed with."""
        path = self.folder / "ledger.json"
        stored = json.loads(path.read_text()) if path.exists() else {}
        return {k: dict(stored.get(k, {})) for k in KINDS}

    def cursor(self) -> dict[str, Any]:
        """What the caller last passed to ``sync`` as ``cursor`` (where it stopped reading changes)."""
        path = self.folder / "ledger.json"
        return dict(json.loads(path.read_text()).get("cursor", {})) if path.exists() else {}

    def matches(self) -> list[Match]:
        path = self.folder / "matches.parquet"
        if not path.exists():
            return []
        return [Match(**row) for row in pq.read_table(path).to_pylist()]

    def _store(self, state: dict, matches: list[Match], cursor: Mapping[str, Any] | None) -> None:
        table = pa.Table.from_pandas(matches_table(matches), schema=MATCHES_SCHEMA, preserve_index=False)
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, compression="zstd")
        files.write_bytes_atomic(str(self.folder / "matches.parquet"), sink.getvalue().to_pybytes())
        files.write_bytes_atomic(str(self.folder / "ledger.json"), json.dumps(state | {"cursor": dict(cursor or {})}, sort_keys=True).encode())

    def _turn(self):
        return files.exclusive(self.folder / ".sync.lock")

    # -- bringing it up to date ---------------------------------------------------------------
    def sync(self, present: set[str], digests: Mapping[str, Mapping[str, str]], load: Callable[[str, str], Any],
             order: Mapping[str, Any] | None = None, cursor: Mapping[str, Any] | None = None) -> Sync:
        """``present``: the corpus' videos now; ``digests``: kind -> video -> digest of its stored
        fingerprint, for the videos that have one; ``load(kind, video)``: that fingerprint.
        ``order``: a sort key per video (first seen); new videos are added in that order (then by
        name), so each pair is found once, from the later video. ``cursor``: kept with the ledger,
        written in the same atomic replace (``cursor()`` gives it back)."""
        done = Sync()
        with self._turn():
            state, matches = self.state(), self.matches()
            for kind in KINDS:
                index, mine = self.index[kind], state[kind]
                stale = set(index.videos()) - set(mine)  # indexed by a sync that died before its ledger write
                gone = {v for v in mine if v not in present}
                changed = {v for v, d in digests.get(kind, {}).items() if v in present and mine.get(v) != d}
                for video in sorted(stale | gone | (changed & set(mine))):
                    index.remove(video)
                    mine.pop(video, None)
                out = gone | changed
                matches = [m for m in matches if m.kind not in _FOUND[kind] or not ({m.query, m.other} & out)]
                done.removed[kind] = sorted(gone)
                key = (lambda v: ((order or {}).get(v, 0.0), v))
                partners = note_partners({}, matches)  # sound: who shares a sound with whom, so far
                for video in sorted(changed, key=key):
                    fp = load(kind, video)
                    t0 = time.perf_counter()
                    found = index.query(video, fp, lambda v: partners.get(v, ())) if kind == "sound" else index.query(video, fp)
                    note_partners(partners, found)
                    done.lookup_s[kind].append(time.perf_counter() - t0)
                    index.add(video, fp)
                    mine[video] = digests[kind][video]
                    matches += found
                    done.found[kind] += len(found)
                    done.added[kind].append(video)
            self._store(state, matches, cursor)
        return done

    def tables(self, present: set[str], order: Mapping[str, float] | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """(sounds, reuploads, video_links) of the videos present now (``groups.build``)."""
        return build(present, self.matches(), order)
