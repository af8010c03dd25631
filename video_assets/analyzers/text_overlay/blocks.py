"""Lines of text into caption blocks, in reading order."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from video_assets.media.frames import luma

# No line of burned-in text is a third of the frame tall: a box that tall is a shape in the picture
# the recognizer took for a glyph (the coffee cup read as ``8``, confidence 0.98-0.998, its box
# 0.53-0.75 of the frame high on the real-recordings corpus). Such a reading is dropped where it is
# read (``reading.py``), and a segment that tall is scene (``segments.py``).
MAX_TEXT_HEIGHT = 1 / 3


# -- blocks ---------------------------------------------------------------------------------------
@dataclass
class Line:
    box: tuple[float, float, float, float]  # x0 y0 x1 y1 in pixels
    text: str
    confidence: float
    reused: bool = False  # read on an earlier sample: the box's pixels had not changed
    # Where the recognizer put each character: (char, x centre in frame pixels, confidence), spaces
    # included; None for an engine that does not say (EasyOCR). ``glyphs.tidy`` uses them.
    glyphs: tuple[tuple[str, float, float], ...] | None = None
    # Luma range inside the line's box (``contrast``), where the reader measured it: lines of one
    # caption are drawn alike; a line of the picture's own text beside a caption is not.
    contrast: float | None = None


def contrast(image: np.ndarray, box: tuple[float, float, float, float]) -> float:
    """Luma range inside a box (98th - 2nd percentile, 0-255). Burned-in captions are drawn to be
    read (white fill, dark outline: near 255); text the OCR finds in a blurred or dim picture is not."""
    h, w = image.shape[:2]
    x0, y0, x1, y1 = max(0, int(box[0])), max(0, int(box[1])), min(w, int(np.ceil(box[2]))), min(h, int(np.ceil(box[3])))
    crop = image[y0:y1:2, x0:x1:2]  # every other pixel: percentiles within a grey level or two, at a quarter of the cost
    if crop.size == 0:
        return 0.0
    low, high = np.percentile(luma(crop) if crop.ndim == 3 else crop, (2, 98))
    return round(float(high - low), 1)


# Two lines join into one caption block only when the lower contrast is at least this share of the
# higher (both measured): on real_german_zoom the motorcycle's YAMAHA (157-168) was joined to the
# outlined caption above it (254: ``ist Desinfektionsmittel. YAMAHA``).
JOIN_CONTRAST = 0.75


def _alike(a: Line, b: Line) -> bool:
    if a.contrast is None or b.contrast is None:
        return True
    return min(a.contrast, b.contrast) >= JOIN_CONTRAST * max(a.contrast, b.contrast)


def group_blocks(lines: list[Line]) -> list[Line]:
    """Join lines of one caption block (stacked, overlapping horizontally, close vertically, of
    similar height) in reading order: top to bottom, and left to right within a row."""
    return [_join(block) for block in blocks_of(lines)]


def blocks_of(lines: list[Line]) -> list[list[Line]]:
    """The lines of each caption block (``group_blocks`` before joining): what is shown or not as
    one caption (``follow.py`` decides per block, so a two-line caption is never half old, half new)."""
    lines = sorted(lines, key=lambda ln: (ln.box[1], ln.box[0]))
    blocks: list[list[Line]] = []
    for line in lines:
        height = line.box[3] - line.box[1]
        for block in blocks:
            last = block[-1]
            lh = last.box[3] - last.box[1]
            same_row = abs((line.box[1] + line.box[3]) / 2 - (last.box[1] + last.box[3]) / 2) < 0.5 * max(height, lh)
            gap_y = line.box[1] - last.box[3]
            overlap_x = min(line.box[2], max(b.box[2] for b in block)) - max(line.box[0], min(b.box[0] for b in block))
            gap_x = line.box[0] - last.box[2]
            similar = 0.6 <= height / lh <= 1.6 if lh > 0 else False  # a caption's lines share a font; scene text rarely does
            # The next line down: below the last one's centre, its box may reach half a line up into
            # the last one's (outlined captions: the detector's boxes take the outline, the
            # descenders and the line spacing, 19 px into each other on real_portraits_read).
            below = not same_row and -0.5 * min(height, lh) <= gap_y and gap_y + 0.2 * lh < 0.8 * max(height, lh)
            if similar and all(_alike(line, b) for b in block) and ((same_row and gap_x < 1.0 * max(height, lh)) or (below and overlap_x > 0)):
                block.append(line)
                break
        else:
            blocks.append([line])
    return blocks


def _join(block: list[Line]) -> Line:
    """Reading order: rows by vertical centre (a line within half a line height of a row's centre
    is on that row), rows top to bottom, lines left to right within a row."""
    rows: list[list[Line]] = []
    for line in sorted(block, key=lambda ln: (ln.box[1] + ln.box[3]) / 2):
        centre, height = (line.box[1] + line.box[3]) / 2, line.box[3] - line.box[1]
        if rows:
            row = rows[-1]
            row_centre = sum((r.box[1] + r.box[3]) / 2 for r in row) / len(row)
            if abs(centre - row_centre) < 0.5 * max(height, max(r.box[3] - r.box[1] for r in row)):
                row.append(line)
                continue
        rows.append([line])
    ordered = [ln for row in rows for ln in sorted(row, key=lambda ln: ln.box[0])]
    xs0, ys0, xs1, ys1 = zip(*(ln.box for ln in ordered))
    measured = [ln.contrast for ln in ordered if ln.contrast is not None]
    return Line((min(xs0), min(ys0), max(xs1), max(ys1)), " ".join(ln.text for ln in ordered), min(ln.confidence for ln in ordered),
                all(ln.reused for ln in ordered), contrast=min(measured) if measured else None)
