"""Matching a video against everything indexed before it: ``Match`` (what both kinds find) and
``FootageIndex`` (sound: ``sound_index.SoundIndex``).

Each new video costs one lookup per hash in the on-disk index (``postings.PostingStore``); footage
hits name candidate videos whose frames are then compared bit by bit, in order.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from video_assets.links import footage as F
from video_assets.links.postings import PostingStore

# Footage: frames within this many bits of 256 are the same picture (unrelated test-clip frames
# >= 88 bits apart; letterbox, mirror, re-encode with captions, 10 % crop: medians 6-45).
MAX_BITS = 64
REUPLOAD_SHARE = 0.5  # of the shorter video's frames, matched in order: a re-upload; less: shared footage
MIN_SHARED_FRAMES = 3
# A re-upload's frames lie within ALIGN_S of the chain's lag (over half the 0.5 s sampling step:
# the frame nearest the true lag is in reach; pans over one photo at two speeds drift out), as
# close there as at their best match but for TIE_BITS of re-encoding noise (a still's frames tie).
ALIGN_S, TIE_BITS = 0.3, 8
STILL_BITS = 16  # re-encoding noise on a still shot (``FootageIndex._verify``)


@dataclass(frozen=True)
class Match:
    """One video found in another. ``query`` is the video looked up, ``other`` the indexed one.

    A time t in ``query`` is at ``offset_s + speed * t`` in ``other`` (``speed`` > 1: the query plays
    the sound faster). Ranges are where each uses what they share. ``score``: sound, the onsets
    of the query whose peaks land on the other's there (``coincide``); footage, the share of the shorter video's frames matched in order.
    ``kind``: "sound", or for footage "reupload" / "shared_footage"; ``mirrored``: footage flipped."""

    kind: str
    query: str
    other: str
    query_start_s: float
    query_end_s: float
    other_start_s: float
    other_end_s: float
    offset_s: float
    speed: float
    score: float
    mirrored: bool = False


def _nonempty(folder: str | Path) -> Path:
    p = Path(str(folder).removeprefix("file://"))
    p.mkdir(parents=True, exist_ok=True)
    return p


def _lis(values: np.ndarray) -> np.ndarray:
    """Indices of a longest strictly increasing subsequence."""
    tails, tails_i, prev = [], [], np.full(values.size, -1)
    for i, x in enumerate(values):
        j = bisect.bisect_left(tails, x)
        if j == len(tails):
            tails.append(x)
            tails_i.append(i)
        else:
            tails[j], tails_i[j] = x, i
        prev[i] = tails_i[j - 1] if j else -1
    out, i = [], tails_i[-1] if tails_i else -1
    while i >= 0:
        out.append(i)
        i = prev[i]
    return np.array(out[::-1], dtype=int)


class FootageIndex:
    """Footage fingerprints of a corpus in ``folder``. Lookup: multi-index hashing (each 256-bit
    hash split in ``CHUNKS`` chunks of ``CHUNK_BITS`` bits, each chunk a key: a frame d bits away
    shares at least one chunk exactly with probability 1-(1-(1-d/256)^CHUNK_BITS)^CHUNKS, and a
    video shares many frames, so a few frames found name the candidate), then every frame of each
    candidate compared in full, and the in-order share decides re-upload or shared footage.

    Which views meet which: the query's picture asks for every stored view (its crops included),
    the query's crops ask for stored pictures only; so a crop of either video is met whichever
    was added first, and crops never meet crops (the 5 x 5 pairs: without them the test clips keep
    recall 1.0 in either order, and chance hits fall ~3x)."""

    CHUNK_BITS = 21
    CHUNKS = 256 // CHUNK_BITS

    def __init__(self, folder: str | Path):
        self.store = PostingStore(_nonempty(folder))

    @classmethod
    def _keys(cls, hashes: np.ndarray, crop: np.ndarray) -> np.ndarray:
        """(n x CHUNKS) keys, row-major: namespace (1: a stored crop), chunk number, chunk value."""
        bits = np.unpackbits(hashes, axis=1)[:, :cls.CHUNKS * cls.CHUNK_BITS].reshape(-1, cls.CHUNKS, cls.CHUNK_BITS)
        vals = (bits.astype(np.uint32) << np.arange(cls.CHUNK_BITS - 1, -1, -1, dtype=np.uint32)).sum(axis=2, dtype=np.uint32)
        chunk = np.arange(cls.CHUNKS, dtype=np.uint32)[None, :] << np.uint32(cls.CHUNK_BITS)
        ns = np.asarray(crop, np.uint32)[:, None] << np.uint32(cls.CHUNK_BITS + 5)
        return (ns | chunk | vals).ravel()

    @classmethod
    def entry(cls, video: str, fp: F.FootageFingerprint, frames: int | None = None):
        """What ``add`` stores for one video: (video, keys, row of each key, items)."""
        keys = cls._keys(fp.hashes, fp.view != 0)
        rows = np.repeat(np.arange(len(fp)), cls.CHUNKS)
        frames = frames if frames is not None else max(1, int((fp.view == 0).sum()))
        return (video, keys, rows, {"time": fp.times.astype(np.float32), "view": fp.view, "hash": fp.hashes,
                                    "frames": np.full(len(fp), frames, np.uint32)})

    def add(self, video: str, fp: F.FootageFingerprint) -> None:
        self.store.add([self.entry(video, fp)])

    def remove(self, video: str) -> None:
        self.store.remove([video])

    def videos(self) -> list[str]:
        return sorted(self.store.videos())

    def query(self, video: str, fp: F.FootageFingerprint) -> list[Match]:
        if len(fp) == 0:
            return []
        qt = fp.times
        out = []
        pic = fp.view == 0
        for mirrored, qh in ((False, fp.hashes), (True, fp.mirrored)):
            # The picture asks for stored pictures and crops; a crop asks for stored pictures.
            keys = np.concatenate([self._keys(qh, np.zeros(len(qh), bool)), self._keys(qh[pic], np.ones(int(pic.sum()), bool))])
            key_row = np.concatenate([np.repeat(np.arange(len(qh)), self.CHUNKS), np.repeat(np.nonzero(pic)[0], self.CHUNKS)])
            for run, q, rows, live in self.store.lookup(keys):
                # Each hit is one (query row, stored row) pair sharing a chunk: compare the two
                # whole hashes at once, keep the close ones; only videos with close frames are
                # compared frame by frame (at scale most chunk hits are chance).
                qrow = key_row[q]
                pair = np.unique(qrow.astype(np.int64) << 32 | rows.astype(np.int64))
                qrow, rows = (pair >> 32).astype(np.int64), (pair & 0xFFFFFFFF).astype(np.int64)
                vid = run.items["video"][rows]
                keep = live[vid]
                qrow, rows, vid = qrow[keep], rows[keep], vid[keep]
                close = F._POP[np.bitwise_xor(qh[qrow], run.items["hash"][rows])].sum(axis=1, dtype=np.int32) <= MAX_BITS
                for vi in np.unique(vid[close]):
                    if run.videos[vi] == video or np.unique(qt[qrow[close & (vid == vi)]]).size < MIN_SHARED_FRAMES:
                        continue
                    mine = np.arange(*np.searchsorted(run.items["video"], [vi, vi + 1]))  # items are in video order
                    m = self._verify(video, run.videos[vi], qt, qh, run.items["time"][mine], run.items["hash"][mine],
                                     int(run.items["frames"][mine][0]), mirrored)
                    if m is not None:
                        out.append(m)
        best: dict[str, Match] = {}
        for m in out:
            if m.other not in best or m.score > best[m.other].score:
                best[m.other] = m
        return sorted(best.values(), key=lambda m: (-m.score, m.other))

    @staticmethod
    def _verify(video: str, other: str, qt, qh, rt, rh, other_frames: int, mirrored: bool) -> Match | None:
        d = F.hamming(qh, rh)
        # One row per query frame (its best view), in time order.
        times, first = np.unique(qt, return_index=True)
        frame_of = np.searchsorted(times, qt)
        best_d = np.full(times.size, 1 << 20)
        np.minimum.at(best_d, frame_of, d.min(axis=1))
        row_of = np.zeros(times.size, int)
        for i in range(len(qh)):
            if d[i].min() == best_d[frame_of[i]]:
                row_of[frame_of[i]] = i
        bestj = d[row_of].argmin(axis=1)
        qt, query_frames = times, times.size
        ok = best_d <= MAX_BITS
        if ok.sum() < MIN_SHARED_FRAMES:
            return None
        qi = np.nonzero(ok)[0]
        tr = rt[bestj[qi]]
        chain = qi[_lis(tr)] if tr.size else qi
        chain_tr = rt[bestj[chain]]
        if chain.size < MIN_SHARED_FRAMES:
            return None
        share = chain.size / max(1, min(query_frames, other_frames))
        # A re-upload is the same clip: its frames meet on one timeline (ALIGN_S, TIE_BITS above).
        lag = float(np.median(chain_tr - qt[chain]))
        dist = np.full((times.size, len(rh)), 1 << 20)
        np.minimum.at(dist, frame_of, d)
        at_lag = np.where(np.abs(rt[None, :] - qt[:, None] - lag) <= ALIGN_S, dist, 1 << 20).min(axis=1)
        aligned = int(((at_lag[chain] <= MAX_BITS) & (at_lag[chain] <= best_d[chain] + TIE_BITS)).sum())
        # Or most frames all but identical at the lag, chain or not: in a near-still shot (a talking
        # head) the best matches jump about and the chain is short (a mirrored repost cut 1.5 s in:
        # 15 of 27 frames in it, 25 within STILL_BITS at the lag; two pans over one photo: 2 of 20).
        aligned = max(aligned, int((at_lag <= STILL_BITS).sum())) / max(1, min(query_frames, other_frames))
        kind = "reupload" if aligned >= REUPLOAD_SHARE else "shared_footage"
        return Match(kind, video, other, float(qt[chain].min()), float(qt[chain].max() + F.SAMPLE_EVERY_S),
                     float(chain_tr.min()), float(chain_tr.max() + F.SAMPLE_EVERY_S),
                     round(lag, 3), 1.0, round(min(1.0, share), 4), mirrored)
