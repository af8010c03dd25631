"""Reading frames: the baseline's one full pass per frame (and its second pass on binarized
copies), and the optimized preset's three levers: frames that did not change are not read again,
detection on a reduced canvas, and recognition only for boxes whose pixels changed."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from video_assets.analyzers.text_overlay.blocks import MAX_TEXT_HEIGHT, Line, contrast
from video_assets.analyzers.text_overlay.glyphs import tidy
from video_assets.analyzers.text_overlay.model import Detected, OcrEngine
from video_assets.analyzers.text_overlay.presets import Config


def _keep(lines: list[Line], config: Config, floor: float = 0.0) -> list[Line]:
    least = max(config.min_confidence, floor)
    # A single digit is content (a countdown's 3, 2, 1); other readings shorter than min_length are noise.
    return [ln for ln in lines if ln.confidence > least and (len(ln.text.strip()) >= config.min_length or ln.text.strip().isdigit())]


def _text_sized(lines: list[Line], frame_h: int | None) -> list[Line]:
    """Lines no taller than ``MAX_TEXT_HEIGHT`` of the frame (``frame_h`` px; None: all). A taller
    one is a shape the recognizer took for a glyph (the coffee cup's ``8``): dropped where it is
    read, so its place is never reused and never covers a caption that appears inside it (before,
    the cup's place took every caption box detected inside it on the next sample: a caption read
    once, then the ``8`` again)."""
    return lines if frame_h is None else [ln for ln in lines if ln.box[3] - ln.box[1] <= MAX_TEXT_HEIGHT * frame_h]


def _measured(lines: list[Line], image: np.ndarray) -> list[Line]:
    """Each line with its contrast (``blocks.contrast``), so a block never joins a caption line with
    the picture's own text beside it."""
    return [replace(ln, contrast=contrast(image, ln.box)) for ln in lines]


def _preprocessed(image: np.ndarray) -> list[np.ndarray]:
    """The original's second pass: binary threshold 180, inverse threshold 100, adaptive threshold."""
    import cv2

    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    _, binary = cv2.threshold(gray, 180, 255, cv2.THRESH_BINARY)
    _, inverse = cv2.threshold(gray, 100, 255, cv2.THRESH_BINARY_INV)
    adaptive = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, 11, 2)
    return [binary, inverse, adaptive]


def _second_pass(engine: OcrEngine, image: np.ndarray, config: Config) -> list[Line]:
    for variant in _preprocessed(image):
        kept = _keep(engine.read(variant, config), config, engine.min_confidence)
        if kept:
            return kept
    return []


# -- baseline -------------------------------------------------------------------------------------
def baseline_read(engine: OcrEngine, image: np.ndarray, config: Config, frame_h: int | None = None) -> list[Line]:
    """The original: the whole pipeline on the frame, and the second pass where it found nothing.
    ``frame_h``: the full frame's height when ``image`` is a band of it and glyph-sized shapes are to
    be dropped (the optimized preset's band reads); None for the baseline, which keeps them."""
    kept = _keep(_text_sized(_tidy(engine.read(image, config)), frame_h), config, engine.min_confidence)
    kept = kept if frame_h is None else _measured(kept, image)
    if not kept and config.second_pass == "empty" and engine.binarized_retry:
        kept = _second_pass(engine, image, config)
    return kept


# -- change tests ---------------------------------------------------------------------------------
def changed_cells(a: np.ndarray, b: np.ndarray, config: Config, scale: float = 0.5) -> int:
    """How many cells (``change_cell_px`` square in the full frame) have more than
    ``change_fraction`` of their pixels changed by more than ``change_delta`` grey levels. Counting
    pixels, not comparing cell means: a "5" that becomes a "6" keeps a cell's mean but not its pixels.
    ``scale``: the images' size against the full frame (0.5: a half-size probe)."""
    import cv2

    if a.shape != b.shape:
        return 1 << 30
    _, moved = cv2.threshold(cv2.absdiff(a, b), config.change_delta, 255, cv2.THRESH_BINARY)
    side = max(1, round(config.change_cell_px * scale))
    h, w = moved.shape
    share = cv2.resize(moved, (max(1, round(w / side)), max(1, round(h / side))), interpolation=cv2.INTER_AREA)
    return int(np.count_nonzero(share > config.change_fraction * 255))


def box_hash(gray: np.ndarray, box: tuple[float, float, float, float], rows: int = 16) -> np.ndarray:
    """A caption box's crop binarized at its ink, on a grid of ``rows`` rows and as many columns as
    keep cells square (a cell is a sixteenth of the line height, whatever its size). The ink is the
    caption white level (white text with an outline, and a white box around dark text: its holes
    are the letters) unless the crop has next to no white: then the dark strokes (black text on a
    coloured box)."""
    import cv2

    x0, y0, x1, y1 = (int(v) for v in box)
    crop = gray[max(0, y0) : max(y0 + 1, y1), max(0, x0) : max(x0 + 1, x1)]
    if crop.size == 0:
        return np.zeros((rows, 8), bool)
    cols = max(8, round(rows * crop.shape[1] / crop.shape[0]))
    bright = crop >= 200
    mask = (crop <= 60) if bright.mean() < NO_WHITE else bright
    return cv2.resize(mask.astype(np.float32), (cols, rows), interpolation=cv2.INTER_AREA) > 0.25


# A crop with less than this share of caption white holds no white caption: its ink is dark.
NO_WHITE = 0.02


def hash_score(a: np.ndarray, b: np.ndarray) -> float:
    """How much a box's text may have changed: the largest share of differing cells in a window half
    a line height wide (about one glyph). Local, not a count over the box: one digit that changes
    ("7:45" -> "7:46") changes 15-18 % of one window, while a photo panning 6-18 px behind still
    white text changes 3-9 % (measured on the sample corpus' photos)."""
    if a.shape != b.shape:
        return 1.0
    per_column = (a != b).sum(axis=0).astype(np.float32)
    width = max(1, a.shape[0] // 2)
    windows = np.convolve(per_column, np.ones(width, np.float32), "valid") if per_column.size >= width else [per_column.sum()]
    return float(np.max(windows)) / (a.shape[0] * width)


def hash_changed(a: np.ndarray, b: np.ndarray, share: float) -> bool:
    """Whether a box's text may have changed: ``hash_score`` above ``share``."""
    return hash_score(a, b) > share


def _iou(a, b) -> float:
    inter = max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


@dataclass
class _Memory:
    """What the last sample read left behind: each caption place (a box) with its hash and its raw
    reading (``None`` when the sample needed the second pass: its lines belong to no box)."""

    boxes: list = field(default_factory=list)  # (box, hash, list[Line] or None)
    lines: list[Line] = field(default_factory=list)


def _assign(lines: list[Line], boxes: list) -> dict[int, list[Line]]:
    """Each recognized line to the detected box it overlaps most (engines may merge or drop boxes)."""
    out: dict[int, list[Line]] = {i: [] for i in range(len(boxes))}
    for ln in lines:
        best = max(range(len(boxes)), key=lambda i: _iou(ln.box, boxes[i]), default=None)
        if best is not None:
            out[best].append(ln)
    return out


# -- optimized ------------------------------------------------------------------------------------
def _inter(a, b) -> float:
    return max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))


def _area(a) -> float:
    return max(1, (a[2] - a[0]) * (a[3] - a[1]))


def _belongs(box, place) -> bool:
    """A detected box shows (part of) a caption place: mostly inside it, and not outgrowing it by
    more than a third of a line height on any side (a word added to a caption makes it outgrow)."""
    pad = (place[3] - place[1]) / 3
    return (_inter(box, place) >= 0.5 * _area(box) and box[0] >= place[0] - pad and box[1] >= place[1] - pad
            and box[2] <= place[2] + pad and box[3] <= place[3] + pad)


def _touches(box, boxes) -> bool:
    return any(_inter(box, b) > 0.25 * min(_area(box), _area(b)) for b in boxes)


def _tidy(lines: list[Line]) -> list[Line]:
    """Each line cut to its caption's letters (``glyphs.tidy``)."""
    return [tidy(ln) for ln in lines]


def _recognized(engine: OcrEngine, image: np.ndarray, found: Detected, todo: list[int], config: Config) -> dict[int, list[Line]]:
    lines = _measured(_text_sized(_tidy(engine.recognize(image, found.take(todo), config)), image.shape[0]), image) if todo else []
    fresh = _assign(lines, [found.boxes[k] for k in todo]) if todo else {}
    return {k: fresh[j] for j, k in enumerate(todo)}


def _look_again(engine: OcrEngine, image: np.ndarray, gray: np.ndarray, old: tuple, config: Config) -> list:
    """A caption box of the last sample read that the detector did not find again, and whose pixels
    changed: another caption may be written in its place (on its reduced canvas the detector can miss
    a short word such as "GO" over a busy photo, where recognition of the place reads it at once).
    The place is recognized. With no detection behind it, a reading needs the engine's higher floor
    (``look_again_confidence``): a short word read with a strip of the photo beside it ("XGO") scores
    lower, and so does background where the caption is gone. Returns (box, hash, lines)."""
    lines = [replace(ln, box=tuple(float(v) for v in old), contrast=contrast(image, old)) for ln in _tidy(engine.recognize_boxes(image, [old], config))
             if ln.confidence >= engine.look_again_confidence]
    return [(old, box_hash(gray, old), lines)] if lines else []


def _read_sample(engine: OcrEngine, image: np.ndarray, gray: np.ndarray, found: Detected, memory: _Memory,
                 config: Config, stats: dict[str, int]) -> _Memory:
    """One sample through the engine, reusing what the last sample read left behind. A place of
    that sample whose pixels did not change (its hash now against the hash it had) still shows the
    same text: detected boxes that belong to it take its reading, and it is kept even where the
    detector missed it this time. Every other detected box is recognized; a box that outgrows a
    place, or a new caption over it, replaces it. A caption place whose pixels changed and where
    nothing was detected is looked at again (``_look_again``). Detector boxes jitter from sample to
    sample; the old place is the stable reference."""
    found = found.take(sorted(range(len(found.boxes)), key=lambda k: (found.boxes[k][1], found.boxes[k][0])))
    # Only places that held a caption reading can be reused (a junk box over half the frame, read
    # as one letter, would otherwise swallow every box detected inside it later).
    stable = [(o, d, ls) for o, d, ls in memory.boxes
              if config.dedupe and ls and _keep(ls, config, engine.min_confidence) and not hash_changed(box_hash(gray, o), d, config.hash_change_share)]
    owner = [next((j for j, (o, _, _) in enumerate(stable) if _belongs(b, o)), None) for b in found.boxes]
    todo = [k for k, j in enumerate(owner) if j is None]
    fresh = _recognized(engine, image, found, todo, config)
    entries = [(found.boxes[k], box_hash(gray, found.boxes[k]), fresh[k]) for k in todo]
    stats["boxes_read"] += len(todo)
    stats["boxes_reused"] += len(found.boxes) - len(todo)
    for j, (old, digest, lines) in enumerate(stable):
        if j in owner or not _touches(old, [e[0] for e in entries]):
            entries.append((old, digest, [replace(ln, reused=True) for ln in lines]))
            stats["boxes_kept"] += j not in owner
    if config.dedupe:
        stable_places = [o for o, _, _ in stable]
        for old, _, lines in memory.boxes:
            if (lines and old not in stable_places and _keep(lines, config, engine.min_confidence)
                    and not _touches(old, found.boxes)):
                entries.extend(_look_again(engine, image, gray, old, config))
                stats["regions_looked_again"] += 1
    entries.sort(key=lambda e: (e[0][1], e[0][0]))
    lines = _keep([ln for _, _, ls in entries for ln in ls], config, engine.min_confidence)
    if not found.boxes:
        stats["frames_no_boxes"] += 1
    if not lines and found.boxes and config.second_pass == "boxes" and engine.binarized_retry:
        stats["second_pass"] += 1
        return _Memory([(b, box_hash(gray, b), None) for b in found.boxes], _second_pass(engine, image, config))
    return _Memory(entries, lines)


class OptimizedReader:
    """The optimized preset's read of one frame: detection on the reduced canvas, recognition of the
    boxes whose pixels changed since the last frame read (that frame's caption places are kept:
    ``_read_sample``). Frames come one by one, in time order (``follow.TextFollower``)."""

    def __init__(self, engine: OcrEngine, config: Config, stats: dict[str, int]):
        self.engine, self.config, self.stats = engine, config, stats
        self.memory = _Memory()
        for key in ("frames_no_boxes", "second_pass", "boxes_read", "boxes_reused", "boxes_kept", "regions_looked_again"):
            stats.setdefault(key, 0)

    def __call__(self, image: np.ndarray) -> list[Line]:
        import cv2

        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        found = self.engine.detect([image], self.config)[0]
        self.memory = _read_sample(self.engine, image, gray, found, self.memory, self.config, self.stats)
        return self.memory.lines
