"""Footage fingerprints: a PDQ-style perceptual hash (Meta's PDQ, re-implemented in NumPy: luma,
box-filter downscale to 64x64, 16x16 low DCT block, median threshold, 256 bits) of sampled frames,
taken inside the picture's own rectangle.

Why not the ``pdqhash`` package: PyPI has only its source (C++ and Cython to build); this is the
same algorithm in NumPy with the same properties, and mirrors come for free from the DCT (a
horizontal mirror flips the sign of every odd-column coefficient, so the mirrored hash needs no
second pass over the pixels).

Why a picture rectangle first: a repost letterboxes the clip into 9:16 over a blurred, zoomed copy
of itself (or black bars). Hashing the whole canvas would hash mostly the blur. The rectangle is
the longest run of rows (and of columns) that are sharp (gradient energy) and not flat: blurred
bands and bars have little of it. Captions over the blurred band are a short run and lose.

Why two crops per stored frame: a 10 % crop moves the low DCT coefficients enough to cost ~40
bits; each stored frame also keeps the hash of its central 90 %, which a cropped repost is close to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

SAMPLE_EVERY_S = 0.5  # frames hashed per second of video: 2
HASH_SIDE = 64
DCT_SIDE = 16
MIN_QUALITY = 0.5  # mean gradient of the 64x64 luma below this: a flat frame (black, a colour card) hashes nothing
STEP_REACH, STEP_MIN, STEP_RATIO = 0.12, 4.0, 8.0  # a border's straight step (``_straight_step``)
CROP_VARIANT = 0.9  # the share also hashed at indexing (see the module docstring)
# Where those crops sit (top share, left share of what is cut): the centre and the four corners'
# halfway points. Measured (tests/test_links.py clips, a 10 % crop taken 70/30, re-encoded): the
# centre alone left it 58-70 bits (min/median) from the original, five crops 12-18;
# unrelated frames stay >= 88 apart.
CROP_ANCHORS = ((0.5, 0.5), (0.25, 0.25), (0.25, 0.75), (0.75, 0.25), (0.75, 0.75))


def _dct_matrix(n: int = HASH_SIDE, k: int = DCT_SIDE) -> np.ndarray:
    i = np.arange(1, k + 1)[:, None]  # PDQ skips the DC row/column
    x = np.arange(n)[None, :]
    return (np.sqrt(2.0 / n) * np.cos(np.pi / (2 * n) * i * (2 * x + 1))).astype(np.float32)


_D = _dct_matrix()
# Mirror left-right: coefficient column k (k = 1..16) changes sign when k is odd.
_MIRROR = np.where((np.arange(1, DCT_SIDE + 1) % 2) == 1, -1.0, 1.0).astype(np.float32)[None, :]


def _gray(image: np.ndarray) -> np.ndarray:
    img = np.asarray(image)
    if img.ndim == 3:
        img = img[..., 0] * np.float32(0.299) + img[..., 1] * np.float32(0.587) + img[..., 2] * np.float32(0.114)
    return img.astype(np.float32)


def picture_rect(image: np.ndarray) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the picture inside a frame: without bars or a blurred letterbox, the whole frame.

    Fine detail (the luma minus a 2-pixel blur of it) is what a blurred or flat band lacks; the
    picture is the longest run of rows, then of columns, whose detail is at least a quarter of
    the frame's typical detail."""
    import cv2

    g = _gray(image)
    h, w = g.shape
    scale = min(1.0, 360.0 / max(h, w))
    small = cv2.resize(g, (max(8, int(w * scale)), max(8, int(h * scale))), interpolation=cv2.INTER_AREA) if scale < 1 else g
    detail = np.abs(small - cv2.GaussianBlur(small, (0, 0), 2.0))
    sh, sw = detail.shape

    def run(profile: np.ndarray) -> tuple[int, int]:
        top = np.percentile(profile, 75)
        if top <= 0:
            return 0, profile.size
        on = np.append(profile > 0.3 * top, False)
        best, start, gap = (0, 0, profile.size), None, 0
        for i, v in enumerate(on):
            if v:
                start = i if start is None else start
                gap = 0
            elif start is not None:
                gap += 1
                if gap > 3 or i == profile.size:  # a dark line inside the picture is not its edge
                    end = i - gap + 1
                    if end - start > best[0]:
                        best = (end - start, start, end)
                    start, gap = None, 0
        return best[1], best[2]

    y0, y1 = run(detail.mean(axis=1))
    x0, x1 = run(detail[y0:y1].mean(axis=0))
    if (y1 - y0) < 0.25 * sh or (x1 - x0) < 0.25 * sw:
        return 0, 0, w, h
    outside = detail.copy()
    outside[y0:y1, x0:x1] = np.nan
    if (y1 - y0, x1 - x0) != (sh, sw) and not np.nanmean(outside) < 0.2 * detail[y0:y1, x0:x1].mean():
        return 0, 0, w, h  # the "band" is as detailed as the picture: a quiet stretch of the picture itself
    f = 1.0 / scale
    x0, y0, x1, y1 = int(round(x0 * f)), int(round(y0 * f)), min(w, int(round(x1 * f))), min(h, int(round(y1 * f)))
    # The end of a detail run is where detail fades, not the border: a dark, soft picture fades
    # early and a caption burned into the blurred band carries the run on. A repost's border is a
    # straight step across the whole picture: each edge snaps to one within reach.
    y0, y1 = (_straight_step(g, y, x0, x1, h) for y in (y0, y1))
    x0, x1 = (_straight_step(g.T, x, y0, y1, w) for x in (x0, x1))
    # A pixel in from each edge: the boundary row is half picture, half blur.
    return x0 + 1, y0 + 1, x1 - 1, y1 - 1


def _straight_step(g: np.ndarray, at: int, a: int, b: int, size: int) -> int:
    """The row near ``at`` (within ``STEP_REACH`` of ``size``) where the picture steps straight
    across columns ``a:b``: the median of |row below - row above| over the columns, at least
    ``STEP_MIN`` grey levels and ``STEP_RATIO`` times the median row's. ``at`` when none is."""
    reach = int(STEP_REACH * size)
    lo, hi = max(2, at - reach), min(g.shape[0] - 1, at + reach)
    if hi <= lo or b - a < 8:
        return at
    rows = np.arange(lo, hi)
    steps = np.median(np.abs(g[rows + 1, a:b] - g[rows - 2, a:b]), axis=1)
    best = int(np.argmax(steps))
    return int(rows[best]) if steps[best] >= STEP_MIN and steps[best] >= STEP_RATIO * np.median(steps) else at


def _coefficients(gray: np.ndarray) -> tuple[np.ndarray, float]:
    import cv2

    # PDQ's Jarosz filters: box blur at the downscale's window, then sample; INTER_AREA is the box.
    small = cv2.resize(gray, (HASH_SIDE, HASH_SIDE), interpolation=cv2.INTER_AREA)
    quality = float(np.abs(np.diff(small, axis=0)).mean() + np.abs(np.diff(small, axis=1)).mean())
    return _D @ small @ _D.T, quality


def _bits(coef: np.ndarray) -> np.ndarray:
    return np.packbits((coef > np.median(coef)).ravel())  # 32 bytes


def frame_hashes(image: np.ndarray, crop_variant: bool = True) -> tuple[list[np.ndarray], list[np.ndarray], float]:
    """(hashes, mirrored hashes, quality) of one frame: the picture rectangle's hash, and with
    ``crop_variant`` its central ``CROP_VARIANT`` too. Each hash: 32 uint8 (256 bits)."""
    x0, y0, x1, y1 = picture_rect(image)
    g = _gray(image)[y0:y1, x0:x1]
    views = [g]
    if crop_variant:
        h, w = g.shape
        ch, cw = int(h * (1 - CROP_VARIANT)), int(w * (1 - CROP_VARIANT))
        for ay, ax in CROP_ANCHORS:
            y0, x0 = int(ch * ay), int(cw * ax)
            views.append(g[y0:h - (ch - y0), x0:w - (cw - x0)])
    plain, mirrored, quality = [], [], 0.0
    for k, v in enumerate(views):
        coef, q = _coefficients(np.ascontiguousarray(v))
        quality = q if k == 0 else quality
        plain.append(_bits(coef))
        mirrored.append(_bits(coef * _MIRROR))
    return plain, mirrored, quality


@dataclass
class FootageFingerprint:
    """One video's footage: per sampled frame its time and hashes.

    hashes: (n, 32) uint8, one row per (frame, view); times: (n,) seconds; view: 0 = the picture,
    1 = its central crop; mirrored: the same rows for the left-right mirrored picture (queries
    ask with both). Flat frames are left out (they match every flat frame)."""

    times: np.ndarray
    view: np.ndarray
    hashes: np.ndarray
    mirrored: np.ndarray
    duration_s: float
    frames: int = 0

    def __len__(self) -> int:
        return int(self.times.size)

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"times": self.times, "view": self.view, "hashes": self.hashes, "mirrored": self.mirrored,
                "meta": np.array([self.duration_s, self.frames], dtype=np.float64)}

    @classmethod
    def from_arrays(cls, a) -> "FootageFingerprint":
        return cls(np.asarray(a["times"]), np.asarray(a["view"]), np.asarray(a["hashes"]), np.asarray(a["mirrored"]),
                   float(a["meta"][0]), int(a["meta"][1]))


def fingerprint(frames: Iterable[tuple[float, np.ndarray]], duration_s: float | None = None,
                every_s: float = SAMPLE_EVERY_S) -> FootageFingerprint:
    """One video's footage fingerprint from (time, RGB or grey image) pairs in time order (for a
    ``FrameBundle``: ``(f.pts_s, f.image) for f in bundle.frames(plan)``), hashing one frame per
    ``every_s``."""
    times, view, plain, mirror = [], [], [], []
    next_t, last_t, count = -1e9, 0.0, 0
    for t, image in frames:
        last_t = float(t)
        if t + 1e-6 < next_t:
            continue
        next_t = t + every_s
        count += 1
        hs, ms, quality = frame_hashes(image)
        if quality < MIN_QUALITY:
            continue
        for k, (h, m) in enumerate(zip(hs, ms)):
            times.append(float(t))
            view.append(k)
            plain.append(h)
            mirror.append(m)
    empty = np.zeros((0, 32), np.uint8)
    return FootageFingerprint(np.array(times, np.float32), np.array(view, np.uint8),
                              np.array(plain, np.uint8) if plain else empty, np.array(mirror, np.uint8) if mirror else empty,
                              float(duration_s if duration_s is not None else last_t + every_s), count)


_POP = np.array([bin(i).count("1") for i in range(256)], np.uint8)


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise Hamming distances between hash rows: (n, 32) x (m, 32) -> (n, m) int."""
    return _POP[np.bitwise_xor(a[:, None, :], b[None, :, :])].sum(axis=2, dtype=np.int32)
