"""Sampling that follows the text: auto-captions of 1-3 words shown 0.3-0.8 s each, read chunk by
chunk with their times.

Reading a frame every 0.5 s misses a chunk shown 0.4 s and knows every start and end to 0.5 s only.
Reading every 0.1 s would cost five times as much: the detector is most of the cost, and a panning
photo changes every frame. So the text is *followed* instead:

* Two stored plans: the preset's samples (every 0.5 s, native resolution: where text is looked
  for anywhere on the frame) and a fine stream between them (every ``follow_every_s``, long side
  ``follow_side``: a JPEG a quarter the size, decoded in a few milliseconds).
* Each caption place read (a block's box) is *watched*: its hash (``reading.box_hash``: the place's
  caption ink on a grid, insensitive to a photo moving behind still text) is compared on every
  fine frame with its hash when it was last read. A place that changed is read again at once, on
  that fine frame (scaled to the native size: the recognizer reads the half-size crop); only the
  places that changed take the new reading, the others keep the one read at native size (small
  text reads worse at half size).
  A place is watched for ``follow_watch_s`` after it last held text, so the next chunk in the
  same place is seen the moment it appears.
* A change under way (a chunk popping in, two chunks cross-fading) is read once it has settled:
  while the watched places still change from one fine frame to the next (at most
  ``follow_settle`` frames), the reading waits, and the frames in between take the settled
  reading, so a sample never mixes two chunks.
* Every sample, read or not, is reported with what is on screen, so segment boundaries are known
  to a fine step (``segments.merge_segments`` puts each between the two samples around it).

Fine frames whose watched places did not change are not read: on the sample corpus' static
captions the fine stream costs its decoding and a hash per place (numbers: docs/captions.md).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from typing import Callable, Iterable, Iterator

import numpy as np

from video_assets.analyzers.text_overlay.blocks import Line, blocks_of, group_blocks
from video_assets.analyzers.text_overlay.presets import Config
from video_assets.analyzers.text_overlay.reading import _iou, box_hash, changed_cells, hash_score
from video_assets.analyzers.text_overlay.segments import same_place as _overlaps
from video_assets.media.frames import Frame


# Caption ink: caption white (luma >= INK_WHITE) within two pixels of caption black (<= INK_BLACK) on
# the fine stream's grey image, an outlined or boxed letter's edge. Counted on cells of INK_CELL
# probe pixels (40 native px), a cell holding ink when more than INK_SHARE of it is. Measured on the
# real-recordings corpus: the chunks AND SO and MY FELLOW are 24 and 38 cells; outside the captions,
# on every fine frame of four clips, the photos and footage hold at most 10 (a white shirt against a
# dark suit). Frame differences cannot tell a chunk from the photo panning behind it (78-100 cells).
INK_WHITE, INK_BLACK, INK_CELL, INK_SHARE = 225, 50, 20, 0.05
# A fine frame with this many ink cells that were not ink when the last frame was read, outside the
# watched places, shows a caption in a new place: it is read at once (its rows), not at the next
# sample, up to half a second later (``AND SO`` on real_music_bed, the first chunk after a cut).
NEW_INK_CELLS = 6


def ink_cells(gray) -> np.ndarray:
    """Cells of a grey frame holding caption ink (``INK_*``): the letters' edges, not the picture's."""
    import cv2

    dark = cv2.dilate((gray <= INK_BLACK).astype(np.uint8), np.ones((5, 5), np.uint8))
    ink = ((gray >= INK_WHITE) & (dark > 0)).astype(np.float32)
    h, w = gray.shape
    return cv2.resize(ink, (max(1, round(w / INK_CELL)), max(1, round(h / INK_CELL))), interpolation=cv2.INTER_AREA) > INK_SHARE


@dataclass
class _Place:
    box: tuple[float, float, float, float]  # native pixels
    digest: np.ndarray  # its hash on the probe of the last frame read
    last_s: float  # when it last held a reading


def _native(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    import cv2

    return image if (image.shape[1], image.shape[0]) == size else cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)


class TextFollower:
    """Decides, sample by sample, which frames go through the reader and what every other sample
    shows. ``read``: a native-size RGB frame -> its caption lines in native pixels (the preset's
    reader, with its reuse); ``read_band``: the same for a horizontal band of a frame, in the
    band's pixels (a read where only watched places changed looks at the rows they span, across
    the whole width: the detector's input is a fraction of the frame's, and a chunk wider than the
    one it replaced is still found)."""

    def __init__(self, read: Callable[[np.ndarray], list[Line]], read_band: Callable[[np.ndarray], list[Line]],
                 native: tuple[int, int], probe: tuple[int, int], config: Config, stats: dict[str, int]):
        self.read, self.read_band, self.native, self.probe, self.config, self.stats = read, read_band, native, probe, config, stats
        self.scale = probe[0] / native[0]
        self.places: list[_Place] = []
        self.last_probe: np.ndarray | None = None
        self.lines: list[Line] = []
        self.ink_read: np.ndarray | None = None  # ink cells of the last frame read
        for key in ("frames_ocr", "frames_reused", "fine_read", "fine_settled", "band_reads", "ink_reads"):
            stats.setdefault(key, 0)

    def _hash(self, gray: np.ndarray, box) -> np.ndarray:
        return box_hash(gray, tuple(v * self.scale for v in box))

    def _distance(self, gray: np.ndarray, reference: np.ndarray | None = None) -> float:
        """How far the watched places are from their last reading (or from ``reference``'s pixels):
        the largest ``hash_score`` over them."""
        return max((hash_score(self._hash(gray, p.box), p.digest if reference is None else self._hash(reference, p.box))
                    for p in self.places), default=0.0)

    def _moved(self, gray: np.ndarray, reference: np.ndarray | None = None) -> bool:
        return self._distance(gray, reference) > self.config.follow_change_share

    def _remember(self, gray: np.ndarray, t: float) -> None:
        """After a read: its blocks become watched places; every place's hash is taken anew."""
        for block in group_blocks(self.lines):
            same = next((p for p in self.places if _iou(p.box, block.box) > 0.8), None)
            if same is None:
                self.places.append(_Place(block.box, self._hash(gray, block.box), t))
            else:
                same.last_s = t
        self.places = [p for p in self.places if t - p.last_s <= self.config.follow_watch_s]
        for p in self.places:
            p.digest = self._hash(gray, p.box)

    def _new_ink(self, gray: np.ndarray) -> tuple[float, float, float, float] | None:
        """The rows (a full-width box, native pixels) where caption ink appeared since the last read,
        outside the watched places; None where too little did (``NEW_INK_CELLS``)."""
        if self.ink_read is None:
            return None
        ink = ink_cells(gray)
        if ink.shape != self.ink_read.shape:
            return None
        fresh = ink & ~self.ink_read
        cell = self.native[1] / ink.shape[0]  # native pixels per cell row (and column: cells are square)
        for p in self.places:
            x0, y0, x1, y1 = (int(v / cell) for v in p.box)
            fresh[max(0, y0 - 1): y1 + 2, max(0, x0 - 1): x1 + 2] = False
        if fresh.sum() < NEW_INK_CELLS:
            return None
        rows = np.nonzero(fresh.any(axis=1))[0]
        return (0.0, max(0.0, (rows[0] - 1) * cell), float(self.native[0]), min(float(self.native[1]), (rows[-1] + 2) * cell))

    def _ink_moving(self, a: np.ndarray, b: np.ndarray, band: tuple[float, float, float, float]) -> bool:
        """Whether the ink in ``band`` still changes from one fine frame to the next (a caption
        popping in is read once it has its size)."""
        ia, ib = ink_cells(a), ink_cells(b)
        cell = self.native[1] / ia.shape[0]
        rows = slice(int(band[1] / cell), int(band[3] / cell) + 1)
        return int((ia[rows] != ib[rows]).sum()) >= NEW_INK_CELLS // 2

    def _score(self, gray: np.ndarray, reference: np.ndarray | None, box, digest: np.ndarray | None = None) -> float:
        if digest is not None:
            return hash_score(self._hash(gray, box), digest)
        return 1.0 if reference is None else hash_score(self._hash(gray, box), self._hash(reference, box))

    def _between(self, gray: np.ndarray, before: list[Line], old: np.ndarray | None, after: list[Line], new: np.ndarray) -> list[Line]:
        """What a frame passed over while a change settled shows: each caption block of the reading
        after where its place is nearer to the frame after than to the one before, each block
        before the other way round; a block with no counterpart in its place where its pixels still
        match. Decided per block, not per line: during a cross-fade between two two-line captions
        the top line may still match the old caption and the bottom the new one, and a sample
        must not mix them (``Dort sieht es aus nicht rund sind.`` on real_german_zoom, before)."""
        share = self.config.follow_change_share
        span = lambda block: (min(ln.box[0] for ln in block), min(ln.box[1] for ln in block),  # noqa: E731
                              max(ln.box[2] for ln in block), max(ln.box[3] for ln in block))
        olds, news = [(b, span(b)) for b in blocks_of(before)], [(b, span(b)) for b in blocks_of(after)]
        shown: list[tuple[list[Line], tuple]] = []
        for block, box in news:
            rivals = [o for _, o in olds if _iou(o, box) > 0.1]
            if self._score(gray, new, box) <= min((self._score(gray, old, o) for o in rivals), default=share):
                shown.append((block, box))
        for block, box in olds:
            rivals = [n for _, n in news if _iou(n, box) > 0.1]
            if (self._score(gray, old, box) < min((self._score(gray, new, n) for n in rivals), default=share + 1e-9)
                    and not any(_iou(box, s) > 0.1 for _, s in shown)):
                shown.append((block, box))
        return [replace(ln, reused=True) for block, _ in shown for ln in block]

    def run(self, samples: Iterable[tuple[Frame, bool]]) -> Iterator[tuple[Frame, list[Line]]]:
        """(frame, lines in native pixels) for every sample in order; ``samples``: (frame, main)
        in time order, ``main`` for the preset's own samples."""
        config = self.config
        stream = iter(samples)
        ahead: deque = deque()

        def fill() -> None:
            while len(ahead) <= config.follow_settle:
                nxt = next(stream, None)
                if nxt is None:
                    return
                ahead.append((nxt[0], nxt[1], nxt[0].gray(self.probe)))  # the grey image every change test compares; colour is decoded only to read

        fill()
        while ahead:
            frame, main, gray = ahead.popleft()
            place_changed = self.last_probe is not None and self._moved(gray)
            anywhere = main and (self.last_probe is None or not config.skip_unchanged
                                 or changed_cells(gray, self.last_probe, config, self.scale) > 0)
            appeared = None if main or place_changed else self._new_ink(gray)  # a caption in a new place
            if not (place_changed or anywhere or appeared):
                self.stats["frames_reused"] += 1
                fill()
                yield frame, [replace(ln, reused=True) for ln in self.lines]
                continue
            # A change under way (a pop-in, a cross-fade) is read where it has settled; each frame
            # passed over shows, place by place, the text before or the text after, whichever its
            # pixels are nearer to (text that came or went elsewhere is judged alone).
            whole = anywhere
            held = []
            fill()
            while (ahead and len(held) < config.follow_settle and ahead[0][0].pts_s - frame.pts_s <= 1.5 * config.follow_every_s
                   and (self._moved(ahead[0][2], gray) or (appeared is not None and self._ink_moving(ahead[0][2], gray, appeared)))):
                # only a fine step ahead: a change under way lasts a tenth of a second
                held.append((frame, gray))
                frame, main, gray = ahead.popleft()
                fill()
            self.stats["fine_settled"] += len(held)
            before, old_probe = self.lines, self.last_probe
            changed = [p.box for p in self.places if self._score(gray, None, p.box, p.digest) > config.follow_change_share]
            if appeared is not None and not main:
                changed.append(appeared)
                self.stats["ink_reads"] += 1
            image = frame.image if main else _native(frame.image, self.native)
            if (whole and main) or not changed:
                self.lines = self.read(image)
            else:  # the rows of the places that changed; the other places keep their reading (made at native size)
                top = max(0, int(min(c[1] - (c[3] - c[1]) / 2 for c in changed)))
                bottom = min(image.shape[0], int(max(c[3] + (c[3] - c[1]) / 2 for c in changed)) + 1)
                fresh = [replace(ln, box=(ln.box[0], ln.box[1] + top, ln.box[2], ln.box[3] + top)) for ln in self.read_band(image[top:bottom])]
                self.stats["band_reads"] += 1
                kept = [replace(ln, reused=True) for ln in before if not any(_overlaps(ln.box, c) for c in changed)]
                self.lines = kept + [ln for ln in fresh if not any(_overlaps(ln.box, k.box) for k in kept)]
            self.stats["frames_ocr"] += 1
            self.stats["fine_read"] += not main
            self.last_probe = gray
            self.ink_read = ink_cells(gray)
            self._remember(gray, frame.pts_s)
            for waiting, g in held:
                self.stats["frames_reused"] += 1
                yield waiting, self._between(g, before, old_probe, self.lines, gray)
            fill()
            yield frame, self.lines
