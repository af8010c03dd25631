"""Verifying a sound match peak by peak: how many of one video's spectral peaks land on the other's
at one speed and offset, against what chance would put there.

Why a second stage: a triplet hash (``sound``) needs three peaks of the music to survive the
voice-over in both videos; a peak survives a real voice 6-10 dB over the music about one time in
four or five, so a triplet about one time in a hundred, and a true reuse under two different voices
gets about as many triplet votes as chance (measured on the links clips, "Vibe Ace" under real
speech: 0-11 votes, decoys and chance 1-2). Single peaks coincide one time in ~20 instead, so a
reuse heard under two voices still puts 14-73 coinciding peaks at its offset where chance puts
1-3 per cell. The index (triplets) names a few candidate videos cheaply; this decides, and gives
the offset and speed.

The decision is a significance: the best (speed, offset) cell's count against a Poisson with the
mean count per cell of that speed (pairs of peaks within ``TOL_OCTAVES`` in frequency, spread over
every offset the two durations allow), less log10 of the number of cells a full search would try.
So dense music (strings: many partials, many pairs by chance) needs more coinciding peaks than
sparse music, and a longer video does not win by length alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import poisson

TOL_OCTAVES = 0.012  # two peaks are one when this close in log2 frequency (after the speed) ...
OFFSET_BIN_S = 0.04  # ... and their offsets fall in one cell of this size or its upper neighbour
SPEED_SUBSTEPS = 2  # speeds tried: this many per frequency quantum of the hashes (1/36 octave)
TYPICAL_QUANTILE = 0.95
TOP_SPEEDS = 3  # speeds counted exactly (``best``)
ONSET_S = 0.032  # peaks of a this close in time are one onset (a frame of ``sound``)
FULL_SPEEDS = 28 * SPEED_SUBSTEPS  # speeds tried (0.75-1.26x): the cells a search tries, for the significance


@dataclass(frozen=True)
class Coincidence:
    """Where the peaks of query ``a`` land on ``b``'s: a time t in a is at ``offset_s + speed * t``
    in b. ``votes``: coinciding onsets; ``significance``: -log10 of the chance of that many in some
    cell of a full search; ``above_typical``: the same against the count the top 5 % of that
    speed's offsets reach (music sharing a key and tempo lines up at every beat); ``a_start_s`` .. ``a_end_s``: where in a the coinciding peaks lie."""

    votes: int
    speed: float
    offset_s: float
    significance: float
    a_start_s: float
    a_end_s: float
    above_typical: float  # -log10 of the chance of that many where the top 5 % of offsets get theirs


def best(a_t: np.ndarray, a_logf: np.ndarray, a_dur: float, b_t: np.ndarray, b_logf: np.ndarray,
         b_dur: float) -> Coincidence | None:
    """The best-supported (speed, offset) of peaks ``a`` (seconds, log2 Hz) on peaks ``b`` over every
    speed 0.75-1.26x; None when no two peaks are near in frequency.

    Every speed at once: each pair of peaks within the speed range in frequency implies a log
    speed (their frequency ratio); it votes at the grid speeds within ``TOL_OCTAVES`` of it, at the
    offset that speed gives. A histogram of all votes (``np.bincount``) names the ``TOP_SPEEDS``
    most significant speeds; only those are counted exactly (one vote per onset), so a candidate
    costs a few milliseconds (a search speed by speed: ~17 ms)."""
    a_t, a_logf = np.asarray(a_t, np.float64), np.asarray(a_logf, np.float64)
    order = np.argsort(b_logf, kind="stable")
    b_t, b_logf = np.asarray(b_t, np.float64)[order], np.asarray(b_logf, np.float64)[order]
    step = 1.0 / (36.0 * SPEED_SUBSTEPS)
    k_lo, k_hi = int(np.ceil(np.log2(0.75) / step)), int(np.floor(np.log2(1.26) / step))
    lo = np.searchsorted(b_logf, a_logf - k_hi * step - TOL_OCTAVES)
    hi = np.searchsorted(b_logf, a_logf - k_lo * step + TOL_OCTAVES)
    n = hi - lo
    if a_t.size == 0 or n.sum() == 0:
        return None
    ia = np.repeat(np.arange(a_t.size, dtype=np.int32), n)
    ib = np.repeat(hi - n.cumsum(), n) + np.arange(n.sum())  # lo[k] .. hi[k] - 1 for each a peak k
    d = a_logf[ia] - b_logf[ib]
    first = np.ceil((d - TOL_OCTAVES) / step).astype(np.int64)
    reach = np.floor((d + TOL_OCTAVES) / step).astype(np.int64) - first
    ks, pa, pb = [], [], []
    for j in range(int(reach.max()) + 1):
        kk = first + j
        sel = (j <= reach) & (kk >= k_lo) & (kk <= k_hi)
        ks.append(kk[sel] - k_lo)
        pa.append(ia[sel])
        pb.append(ib[sel])
    k, ia, ib = np.concatenate(ks), np.concatenate(pa), np.concatenate(pb)
    if k.size == 0:
        return None
    nk = k_hi - k_lo + 1
    kr = 2.0 ** ((np.arange(nk) + k_lo) * step)
    off = b_t[ib] - kr[k] * a_t[ia]
    c0 = int(np.floor(-kr[-1] * a_dur / OFFSET_BIN_S)) - 1
    cell = np.floor(off / OFFSET_BIN_S).astype(np.int64) - c0
    nc = int(np.ceil(b_dur / OFFSET_BIN_S)) - c0 + 2
    cell = np.clip(cell, 0, nc - 2)
    cells = FULL_SPEEDS * (a_dur + b_dur) / OFFSET_BIN_S
    # Pass 1, every vote: the speeds whose best cell is least likely by chance.
    raw = np.bincount(k * nc + cell, minlength=nk * nc).reshape(nk, nc)
    raw[:, :-1] += raw[:, 1:]  # a true offset straddling two cells: each also gets its upper neighbour's
    mean = 2.0 * np.bincount(k, minlength=nk) / ((kr * a_dur + b_dur) / OFFSET_BIN_S)
    top_raw = raw.max(axis=1)
    with np.errstate(divide="ignore"):
        rough = np.where(top_raw > 0, -poisson.logsf(top_raw - 1, np.maximum(mean, 1e-12)), -np.inf)
    # Pass 2, those speeds exactly: one vote per onset of a per cell. A voice's harmonics start
    # together and coincide together (a synthetic voice's fixed pitch puts them on the same
    # frequencies in every clip), so counting peaks would count one chance alignment of two
    # syllables many times.
    onset = np.rint(a_t / ONSET_S).astype(np.int64)
    onset -= onset.min()
    no = int(onset.max()) + 1
    top = None
    for kb in np.argsort(-rough)[:TOP_SPEEDS]:
        mine = k == kb
        once = np.unique(cell[mine] * no + onset[ia[mine]])
        level = np.bincount(once // no, minlength=nc)
        level[:-1] += level[1:]
        cb = int(np.argmax(level))
        votes = int(level[cb])
        m = 2.0 * once.size / ((kr[kb] * a_dur + b_dur) / OFFSET_BIN_S)
        sig = float(-poisson.logsf(votes - 1, max(m, 1e-12)) / np.log(10) - np.log10(cells))
        if top is None or sig > top[0]:
            top = (sig, votes, int(kb), cb, level, m)
    sig, votes, kb, cb, level, m = top
    # The offsets that line up by structure: music of one key and tempo on a quantized grid lines
    # up at every beat (the test signals' decoys: the same drum kit, scale and tempo, 18-28 onsets
    # at many offsets); a reuse stands out of them, a loop-built track's repeats (3.7 s apart) are
    # few of the offsets.
    typical = max(float(np.quantile(level, TYPICAL_QUANTILE)), m, 0.5)
    above = float(-poisson.logsf(votes - 1, typical) / np.log(10))
    sel = (k == kb) & ((cell == cb) | (cell == cb + 1))
    at = a_t[ia[sel]]
    return Coincidence(votes, round(float(kr[kb]), 4), round(float(np.median(off[sel])), 3), round(sig, 2),
                       float(at.min()), float(at.max()), round(above, 2))
