"""Lines of text into caption blocks, in reading order."""

from __future__ import annotations

from dataclasses import dataclass


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


def group_blocks(lines: list[Line]) -> list[Line]:
    """Join lines of one caption block (stacked, overlapping horizontally, close vertically, of
    similar height) in reading order: top to bottom, and left to right within a row."""
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
            if similar and ((same_row and gap_x < 1.0 * max(height, lh)) or (0 <= gap_y + 0.2 * lh < 0.8 * max(height, lh) and overlap_x > 0)):
                block.append(line)
                break
        else:
            blocks.append([line])
    return [_join(block) for block in blocks]


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
    return Line((min(xs0), min(ys0), max(xs1), max(ys1)), " ".join(ln.text for ln in ordered), min(ln.confidence for ln in ordered),
                all(ln.reused for ln in ordered))
